/**
 * Task attempts as Swarm jobs (`executor: swarm`): each attempt is a service of one replica with
 * restart condition none, run through `SwarmClient.runJob` (not `replicated-job`: removing one
 * of those leaves its running task running, moby/moby#42789, so it could not be stopped), its files (the
 * payload) as swarm configs mounted read-only, its exit code and output handed back, the service
 * and its configs removed when it ends or is stopped (the task's stop signal, then SIGKILL after
 * its grace: the service's `StopSignal` and `StopGracePeriod`).
 *
 * The output comes once the job has ended: a swarm service's logs are read from the node that
 * ran it after its task completed, which is what loses no line at the end.
 *
 * @module
 */
import { argvOf, type ClusterHandle, type ClusterTask, type ExitStatus } from "../../domain/mod.ts";
import { type DockerClient, DockerError } from "./client.ts";
import { SwarmClient } from "./swarm.ts";

/** A swarm config holds at most this much (the engine's bound). */
export const CONFIG_LIMIT_BYTES = 500 * 1024;

/** No deadline of its own: the scheduler's timeout (on its clock) stops the job. */
const NO_DEADLINE = 1e15;

/** Runs task attempts as jobs on the swarm whose manager `docker` speaks to. */
export class SwarmJobRunner {
  readonly #swarm: SwarmClient;

  constructor(docker: DockerClient) {
    this.#swarm = new SwarmClient(docker);
  }

  /**
   * Creates the job's configs and starts it; the handle's `exited` has its container's exit.
   *
   * @throws {DockerError} when the engine is not a swarm manager or a file cannot be a config.
   */
  async start(
    task: ClusterTask,
    options: { readonly signal: AbortSignal; readonly onNote: (line: string) => void },
  ): Promise<ClusterHandle> {
    await this.#swarm.requireManager();
    const configs = await this.#configs(task);
    const stopper = new AbortController();
    const stop = () => stopper.abort(options.signal.reason ?? "stopped");
    options.signal.addEventListener("abort", stop, { once: true });
    if (options.signal.aborted) stop();
    const out = new TransformStream<Uint8Array, Uint8Array>();
    const err = new TransformStream<Uint8Array, Uint8Array>();
    options.onNote(`swarm job ${task.name} (${task.image})`);
    const exited = (async (): Promise<ExitStatus> => {
      const writers = { stdout: out.writable.getWriter(), stderr: err.writable.getWriter() };
      const encoder = new TextEncoder();
      try {
        const result = await this.#swarm.runJob({
          name: task.name,
          image: task.image,
          command: argvOf(task.command),
          env: task.env,
          labels: task.labels,
          container: {
            ...(task.workdir ? { Dir: task.workdir } : {}),
            ...(task.user ? { User: task.group ? `${task.user}:${task.group}` : task.user } : {}),
            StopSignal: task.stop.signal,
            StopGracePeriod: task.stop.timeoutMs * 1_000_000,
            Labels: { ...task.labels },
            ...(configs.length ? { Configs: configs.map((c) => c.ref) } : {}),
          },
        }, { timeoutMs: NO_DEADLINE, signal: stopper.signal });
        for (const [stream, line] of result.output) {
          await writers[stream].write(encoder.encode(`${line}\n`));
        }
        if (result.exitCode === undefined) {
          throw new DockerError(result.error ?? "the job ended without an exit code", "api");
        }
        return { code: result.exitCode, signal: null };
      } finally {
        options.signal.removeEventListener("abort", stop);
        await Promise.all([writers.stdout.close(), writers.stderr.close()]).catch(() => {});
        for (const c of configs) {
          await this.#swarm.docker.call("DELETE", `/configs/${c.id}`).catch(() => {});
        }
      }
    })();
    // The scheduler awaits it; this only keeps an unawaited rejection from being reported twice.
    exited.catch(() => {});
    return { stdout: out.readable, stderr: err.readable, exited, stop };
  }

  /** One config per file, mounted read-only (mode 0444) at its path. */
  async #configs(task: ClusterTask): Promise<{ id: string; ref: Record<string, unknown> }[]> {
    const made: { id: string; ref: Record<string, unknown> }[] = [];
    try {
      for (const [i, [path, text]] of Object.entries(task.files).entries()) {
        const data = new TextEncoder().encode(text);
        if (data.length > CONFIG_LIMIT_BYTES) {
          throw new DockerError(
            `cannot hand ${path} to the swarm job: ${data.length} bytes, a swarm config holds ` +
              `at most ${CONFIG_LIMIT_BYTES}`,
            "config",
          );
        }
        const name = `${task.name}-${i}`;
        const { ID } = await this.#swarm.docker.json<{ ID: string }>("POST", "/configs/create", {
          body: { Name: name, Labels: { ...task.labels }, Data: base64(data) },
        });
        made.push({
          id: ID,
          ref: {
            File: { Name: path, UID: "0", GID: "0", Mode: 0o444 },
            ConfigID: ID,
            ConfigName: name,
          },
        });
      }
      return made;
    } catch (error) {
      for (const c of made) {
        await this.#swarm.docker.call("DELETE", `/configs/${c.id}`).catch(() => {});
      }
      throw error;
    }
  }

  /** Closes the connection to the engine. */
  close(): void {
    this.#swarm.docker.close();
  }
}

function base64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}
