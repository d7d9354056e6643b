/**
 * One task attempt in its own process (or container), through the same runtimes as services: the
 * command and env expanded, the payload and outputs files prepared, the output pumped into the
 * task's log, the whole process group stopped at the timeout or on cancel (its stop signal, then
 * SIGKILL after the grace), the outputs read back.
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
  inheritsEnv,
  layerEnv,
  runtimeUnavailable,
  type RunTrigger,
  type Service,
} from "../domain/mod.ts";
import type { Clock, Handle, Runtime } from "../engine/mod.ts";
import type { AttemptResult } from "./dag.ts";
import { expandCommand, expandText, parseOutputs } from "./expand.ts";
import type { TaskLog, TaskOwner, Workspace } from "./ports.ts";

/** What one attempt runs. */
export interface AttemptInput {
  readonly flow: Flow;
  readonly task: FlowTask;
  readonly run: number;
  readonly attempt: number;
  readonly trigger: RunTrigger;
  readonly payload: unknown;
  /** Outputs of the run's settled tasks. */
  readonly outputs: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

/** What an attempt runs with. */
export interface AttemptDeps {
  readonly runtimes: Partial<Record<Service["runtime"], Runtime>>;
  readonly clock: Clock;
  readonly workspace: Workspace;
  /** The run's directory and payload file (made once per run, and per task owner). */
  readonly files: (
    owner?: TaskOwner,
  ) => Promise<{ readonly dir: string; readonly payload: string }>;
  readonly log: TaskLog;
  readonly baseEnv: Readonly<Record<string, string>>;
  readonly stack: string;
}

/** A payload larger than this reaches the task only as a file. */
const PAYLOAD_ENV_LIMIT = 64 * 1024;

/** The service a runtime starts for a task attempt. */
export function taskService(
  flow: Flow,
  task: FlowTask,
  command: Command,
  volumes: readonly string[],
): Service {
  return {
    name: `${flow.name}.${task.name}`,
    kind: "oneshot",
    runtime: task.runtime,
    image: task.image,
    command,
    workdir: task.workdir,
    env: {},
    envFiles: [],
    ports: [],
    volumes,
    network: undefined,
    dependsOn: [],
    health: undefined,
    update: { strategy: "rolling", maxUnavailable: 1, maxSurge: 0 },
    replicas: 1,
    restart: {
      mode: "never",
      maxRetries: 0,
      backoff: { minMs: 0, maxMs: 0, factor: 1, jitter: 0 },
      stableMs: 0,
    },
    stop: task.stop,
    user: task.user,
    group: task.group,
    enabled: true,
    required: false,
    waitAfterMs: 0,
    successCodes: task.successCodes,
    preScript: undefined,
    postScript: undefined,
    logFile: undefined,
    tty: false,
    resources: task.resources,
    labels: { "orch.flow": flow.name, "orch.task": task.name },
  };
}

/** Runs one attempt to its end; never throws (a task that cannot start is a failed attempt). */
export async function runAttempt(
  input: AttemptInput,
  deps: AttemptDeps,
  signal: AbortSignal,
): Promise<AttemptResult> {
  const { flow, task } = input;
  let outputsFile: string | undefined;
  let handle: Handle | undefined;
  let timedOut = false;
  let stopReason: string | undefined;
  let cancelTimer: (() => void) | undefined;
  const onAbort = () => {
    stopReason = String(signal.reason ?? "cancelled");
    if (handle) {
      deps.log.note(`stopping: ${stopReason}`, "warn");
      void handle.stop(task.stop);
    }
  };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    if (signal.aborted) return { ok: false, error: `not started: ${String(signal.reason)}` };
    const runtime = deps.runtimes[task.runtime];
    if (!runtime) return { ok: false, error: runtimeUnavailable(task.runtime).message };
    // A process running as another user cannot reach orch's private `.orch/`.
    const owned = task.runtime === "process" &&
      (task.user !== undefined || task.group !== undefined);
    const files = await deps.files(owned ? { user: task.user, group: task.group } : undefined);
    outputsFile = `${files.dir}/${encodeURIComponent(task.name)}.${input.attempt}.outputs`;
    const ctx = { config: flow.config, payload: input.payload, outputs: input.outputs };
    const expanded = task.literal
      ? { command: task.command, env: {} }
      : expandCommand(task.command, ctx);
    const payloadJson = JSON.stringify(input.payload ?? {});
    const vars: Record<string, string> = {
      ORCH_STACK: deps.stack,
      ORCH_FLOW: flow.name,
      ORCH_RUN_ID: String(input.run),
      ORCH_TASK: task.name,
      ORCH_ATTEMPT: String(input.attempt),
      ORCH_TRIGGER: input.trigger.kind,
      ORCH_PAYLOAD_FILE: files.payload,
      ORCH_OUTPUTS: outputsFile,
      ...(payloadJson.length <= PAYLOAD_ENV_LIMIT ? { ORCH_PAYLOAD: payloadJson } : {}),
    };
    // The same layering as a service's instance: orch's environment for a process, then what the
    // task declares (its references to payload and outputs included), then orch's variables.
    const declared: Record<string, string> = Object.create(null);
    for (const [k, v] of Object.entries(task.env)) declared[k] = expandText(v, ctx);
    Object.assign(declared, expanded.env);
    const env = layerEnv({
      inherited: inheritsEnv(task.runtime) ? deps.baseEnv : undefined,
      declared,
      vars,
    });
    const volumes = task.runtime === "docker" ? [`${files.dir}:${files.dir}`] : [];
    try {
      handle = await runtime.start({
        service: taskService(flow, task, expanded.command, volumes),
        replica: input.attempt,
        instance: `${flow.name}/${input.run}/${task.name}`,
        stack: deps.stack,
        env,
        ports: [],
      }, { signal, onNote: (line) => deps.log.note(line) });
    } catch (error) {
      const message = (error as Error).message;
      deps.log.note(`cannot start: ${message}`, "error");
      return { ok: false, error: message };
    }
    if (signal.aborted) onAbort();
    const pumps = [deps.log.pump(handle.stdout, "stdout"), deps.log.pump(handle.stderr, "stderr")];
    if (task.timeoutMs !== undefined) {
      const timeoutMs = task.timeoutMs;
      cancelTimer = deps.clock.setTimer(timeoutMs, () => {
        timedOut = true;
        deps.log.note(`timed out after ${formatDuration(timeoutMs)}: stopping its process group`);
        void handle!.stop(task.stop);
      });
    }
    const exit: ExitStatus = await handle.exited;
    await Promise.all(pumps);
    cancelTimer?.();
    const outputs = parseOutputs(await deps.workspace.outputs(outputsFile));
    outputsFile = undefined;
    const success = exit.code !== null && task.successCodes.includes(exit.code);
    if (timedOut) {
      return {
        ok: false,
        exit,
        outputs,
        error: `timed out after ${formatDuration(task.timeoutMs!)}`,
      };
    }
    if (stopReason !== undefined) {
      return { ok: false, exit, outputs, error: `stopped: ${stopReason}` };
    }
    return success
      ? { ok: true, exit, outputs }
      : { ok: false, exit, outputs, error: describeExit(exit) };
  } catch (error) {
    return { ok: false, error: `cannot run: ${(error as Error).message}` };
  } finally {
    cancelTimer?.();
    signal.removeEventListener("abort", onAbort);
    if (outputsFile) await deps.workspace.outputs(outputsFile).catch(() => "");
    await deps.log.close();
  }
}
