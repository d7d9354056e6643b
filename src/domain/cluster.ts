/**
 * A task attempt run as a job on a cluster (`executor: swarm`), and the job on its way: what the
 * scheduler hands a cluster runner (src/schedule/remote.ts) and what the swarm's job runner
 * (src/runtime/docker/swarm_job.ts) takes and gives back.
 *
 * @module
 */
import type { Command } from "./model.ts";
import type { ExitStatus } from "./state.ts";

/** A task attempt to run as a job on a cluster (`executor: swarm`). */
export interface ClusterTask {
  /** Unique among the cluster's jobs. */
  readonly name: string;
  readonly image: string;
  /** Run as the container's command (a shell string through `sh -c`), the image's entrypoint kept. */
  readonly command: Command;
  /** Exactly the container's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** The working directory in the container; `undefined`: the image's. */
  readonly workdir: string | undefined;
  readonly user: string | undefined;
  readonly group: string | undefined;
  /** How the job's container is stopped: this signal, then SIGKILL after the grace. */
  readonly stop: { readonly signal: string; readonly timeoutMs: number };
  readonly labels: Readonly<Record<string, string>>;
  /** Files to put in the container, by absolute path (the payload), read-only. */
  readonly files: Readonly<Record<string, string>>;
}

/** A task attempt running on a cluster. */
export interface ClusterHandle {
  /** Its output, as it comes (complete once the job has ended). */
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  /**
   * The exit of its container, once the job has ended and is removed; rejects with the reason
   * when it ended without one (the cluster rejected it, its node was lost).
   */
  readonly exited: Promise<ExitStatus>;
  /** Stops the job (its stop signal, then SIGKILL after the grace); `exited` follows. */
  stop(): void;
}
