/**
 * What is particular to a task attempt run as a job on a cluster (`executor: swarm`): its job's
 * name and labels, the payload as a file in its container, and its outputs handed back as
 * `::output key=value` lines on its stdout (no file of orch's machine is there to write to).
 *
 * @module
 */
import {
  type Command,
  describeExit,
  type ExitStatus,
  type Flow,
  type FlowTask,
  formatDuration,
  layerEnv,
} from "../domain/mod.ts";
import type { AttemptResult } from "./dag.ts";
import type { AttemptDeps, AttemptInput } from "./executor.ts";
import { expandCommand, expandText, OUTPUT_LIMITS, parseOutputs } from "./expand.ts";
import type { ClusterHandle, ClusterRunner, ClusterTask } from "./ports.ts";

/** Where a swarm task finds the payload (`ORCH_PAYLOAD_FILE`). */
export const CLUSTER_PAYLOAD_PATH = "/run/orch/payload.json";

/** The prefix of a stdout line that hands on an output: `::output rows=42`. */
export const OUTPUT_PREFIX = "::output ";

/** What a cluster job of one attempt is made from. */
export interface ClusterAttempt {
  readonly stack: string;
  readonly flow: Flow;
  readonly task: FlowTask;
  readonly run: number;
  readonly attempt: number;
  readonly command: Command;
  readonly env: Readonly<Record<string, string>>;
  readonly payloadJson: string;
}

const slug = (text: string, max: number) =>
  text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, max)
    .replace(/-+$/, "") || "x";

/**
 * The job of one attempt: a name unique among the cluster's services (a DNS label: at most 63
 * characters) and labels that say exactly which attempt it is.
 */
export function clusterTask(a: ClusterAttempt): ClusterTask {
  const suffix = `${a.run}-${a.attempt}-${crypto.randomUUID().slice(0, 6)}`;
  const room = 63 - "orch--".length - suffix.length;
  const flowPart = slug(a.flow.name, Math.floor(room / 2));
  const name = `orch-${flowPart}-${slug(a.task.name, room - flowPart.length - 1)}-${suffix}`;
  return {
    name,
    image: a.task.image!,
    command: a.command,
    env: a.env,
    // A path of orch's machine means nothing on the swarm's nodes: the image's is used.
    workdir: undefined,
    user: a.task.user,
    group: a.task.group,
    stop: a.task.stop,
    labels: {
      "orch.stack": a.stack,
      "orch.flow": a.flow.name,
      "orch.task": a.task.name,
      "orch.run": String(a.run),
      "orch.attempt": String(a.attempt),
    },
    files: { [CLUSTER_PAYLOAD_PATH]: a.payloadJson },
  };
}

/**
 * Passes a task's stdout through unchanged and collects the `::output key=value` lines in it
 * (a later key wins; the bounds of an outputs file apply).
 */
export class OutputScanner {
  readonly #outputs: Record<string, string> = Object.create(null);
  #count = 0;
  #carry = "";
  /** A line too long to be an output is being skipped to its end. */
  #skipping = false;
  readonly #decoder = new TextDecoder();

  /** The stream to pipe stdout through. */
  readonly stream: TransformStream<Uint8Array, Uint8Array> = new TransformStream({
    transform: (chunk, controller) => {
      controller.enqueue(chunk);
      this.#feed(this.#decoder.decode(chunk, { stream: true }));
    },
    flush: () => {
      this.#feed(this.#decoder.decode());
      if (!this.#skipping) this.#line(this.#carry);
      this.#carry = "";
    },
  });

  #feed(text: string): void {
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      if (!this.#skipping) this.#line(this.#carry + text.slice(start, nl));
      this.#carry = "";
      this.#skipping = false;
      start = nl + 1;
    }
    if (this.#skipping) return;
    this.#carry += text.slice(start);
    const bound = OUTPUT_PREFIX.length + OUTPUT_LIMITS.valueBytes + 1024;
    const head = this.#carry.slice(0, OUTPUT_PREFIX.length);
    if (!OUTPUT_PREFIX.startsWith(head) || this.#carry.length > bound) {
      // Not an output line, or one too long to be read whole: the rest of it is skipped.
      this.#skipping = true;
      this.#carry = "";
    }
  }

  #line(raw: string): void {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (!line.startsWith(OUTPUT_PREFIX)) return;
    for (const [key, value] of Object.entries(parseOutputs(line.slice(OUTPUT_PREFIX.length)))) {
      if (!Object.hasOwn(this.#outputs, key)) {
        if (this.#count >= OUTPUT_LIMITS.keys) continue;
        this.#count++;
      }
      this.#outputs[key] = value;
    }
  }

  /** The outputs collected (complete once the stream has ended). */
  outputs(): Record<string, string> {
    return { ...this.#outputs };
  }
}

/** What a cluster attempt runs with: a local attempt's, and the cluster. */
export interface ClusterAttemptDeps extends AttemptDeps {
  readonly swarm: ClusterRunner | undefined;
}

/** A payload larger than this reaches the task only as its file. */
const PAYLOAD_ENV_LIMIT = 64 * 1024;

/**
 * Runs one attempt as a job on the cluster, to its end; never throws. The job's stdout goes to
 * the task's log (its `::output` lines as well) and its exit code to the history; the task's
 * timeout (on the scheduler's clock) and a cancel stop the job, which removes it.
 */
export async function runClusterAttempt(
  input: AttemptInput,
  deps: ClusterAttemptDeps,
  signal: AbortSignal,
): Promise<AttemptResult> {
  const { flow, task } = input;
  let handle: ClusterHandle | undefined;
  let timedOut = false;
  let stopReason: string | undefined;
  let cancelTimer: (() => void) | undefined;
  const onAbort = () => {
    stopReason = String(signal.reason ?? "cancelled");
    if (handle) {
      deps.log.note(`stopping: ${stopReason}: removing the swarm job`, "warn");
      handle.stop();
    }
  };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    if (signal.aborted) return { ok: false, error: `not started: ${String(signal.reason)}` };
    if (!deps.swarm) {
      const error = "executor swarm is not available: this orch has no swarm to run jobs on";
      deps.log.note(error, "error");
      return { ok: false, error };
    }
    const ctx = { config: flow.config, payload: input.payload, outputs: input.outputs };
    const expanded = expandCommand(task.command, ctx);
    const payloadJson = JSON.stringify(input.payload ?? {});
    const declared: Record<string, string> = Object.create(null);
    for (const [k, v] of Object.entries(task.env)) declared[k] = expandText(v, ctx);
    Object.assign(declared, expanded.env);
    const env = layerEnv({
      inherited: undefined,
      declared,
      vars: {
        ORCH_STACK: deps.stack,
        ORCH_FLOW: flow.name,
        ORCH_RUN_ID: String(input.run),
        ORCH_TASK: task.name,
        ORCH_ATTEMPT: String(input.attempt),
        ORCH_TRIGGER: input.trigger.kind,
        ORCH_PAYLOAD_FILE: CLUSTER_PAYLOAD_PATH,
        ...(payloadJson.length <= PAYLOAD_ENV_LIMIT ? { ORCH_PAYLOAD: payloadJson } : {}),
      },
    });
    const job = clusterTask({
      stack: deps.stack,
      flow,
      task,
      run: input.run,
      attempt: input.attempt,
      command: expanded.command,
      env,
      payloadJson,
    });
    try {
      handle = await deps.swarm.start(job, { signal, onNote: (line) => deps.log.note(line) });
    } catch (error) {
      const message = (error as Error).message;
      deps.log.note(`cannot start: ${message}`, "error");
      return { ok: false, error: message };
    }
    if (signal.aborted) onAbort();
    const scanner = new OutputScanner();
    const pumps = [
      deps.log.pump(handle.stdout.pipeThrough(scanner.stream), "stdout"),
      deps.log.pump(handle.stderr, "stderr"),
    ];
    if (task.timeoutMs !== undefined) {
      const timeoutMs = task.timeoutMs;
      cancelTimer = deps.clock.setTimer(timeoutMs, () => {
        timedOut = true;
        deps.log.note(`timed out after ${formatDuration(timeoutMs)}: removing the swarm job`);
        handle!.stop();
      });
    }
    let exit: ExitStatus | undefined;
    let failure: string | undefined;
    try {
      exit = await handle.exited;
    } catch (error) {
      failure = (error as Error).message ?? String(error);
    }
    await Promise.all(pumps);
    cancelTimer?.();
    const outputs = scanner.outputs();
    if (timedOut) {
      return {
        ok: false,
        ...(exit ? { exit } : {}),
        outputs,
        error: `timed out after ${formatDuration(task.timeoutMs!)}`,
      };
    }
    if (stopReason !== undefined) {
      return { ok: false, ...(exit ? { exit } : {}), outputs, error: `stopped: ${stopReason}` };
    }
    if (!exit) {
      deps.log.note(`the swarm job failed: ${failure}`, "error");
      return { ok: false, outputs, error: failure ?? "the swarm job failed" };
    }
    const success = exit.code !== null && task.successCodes.includes(exit.code);
    return success
      ? { ok: true, exit, outputs }
      : { ok: false, exit, outputs, error: describeExit(exit) };
  } catch (error) {
    return { ok: false, error: `cannot run: ${(error as Error).message}` };
  } finally {
    cancelTimer?.();
    signal.removeEventListener("abort", onAbort);
    await deps.log.close();
  }
}
