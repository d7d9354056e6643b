/**
 * What is particular to a task attempt run as a job on a cluster (`executor: swarm`): its job's
 * name and labels, the payload as a file in its container, and its outputs handed back as
 * `::output key=value` lines on its stdout (no file of orch's machine is there to write to).
 *
 * @module
 */
import type { Command, Flow, FlowTask } from "../domain/mod.ts";
import { OUTPUT_LIMITS, parseOutputs } from "./expand.ts";
import type { ClusterTask } from "./ports.ts";

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
    workdir: a.task.workdir,
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
