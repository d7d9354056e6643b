/**
 * A running process instance. Its exit is the main process's exit (never the end of its output
 * pipes, which a descendant may hold): when the main process ends by itself, whatever it left is
 * killed at once; when it is stopped, the rest gets what is left of the stop timeout, then is
 * killed. `exited` resolves once nothing of the instance is left.
 *
 * @module
 */
import { type ExitStatus, OrchError, type Usage } from "../../domain/mod.ts";
import type { Handle } from "../../engine/mod.ts";
import type { Tracker } from "./tracker.ts";

function toExit(status: Deno.CommandStatus, oomKilled: boolean): ExitStatus {
  const exit = status.signal
    ? { code: null, signal: status.signal }
    : { code: status.code, signal: null };
  return oomKilled ? { ...exit, oomKilled } : exit;
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A process instance, tracked whole. */
export class ProcessHandle implements Handle {
  readonly pid: number;
  readonly id: string;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly exited: Promise<ExitStatus>;
  readonly #tracker: Tracker;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #mainExit: Promise<Deno.CommandStatus>;
  #done = false;
  #stopping: Promise<void> | undefined;

  /**
   * @param release called once the instance is gone (cgroups removed, guard told)
   * @param onNote told what could not be cleaned up
   */
  constructor(
    child: Deno.ChildProcess,
    tracker: Tracker,
    release: () => void,
    onNote: (line: string) => void,
  ) {
    this.pid = child.pid;
    this.id = String(child.pid);
    this.stdout = child.stdout;
    this.stderr = child.stderr;
    this.#tracker = tracker;
    const stdin = child.stdin.getWriter();
    this.#stdin = stdin;
    this.#mainExit = child.status;
    this.exited = (async () => {
      const status = await child.status;
      this.#done = true;
      stdin.close().catch(() => {});
      // What the main process left goes with it (unless a stop gives it time).
      if (this.#stopping) await this.#stopping;
      else if (!tracker.empty()) await tracker.kill();
      if (!tracker.empty()) onNote(tracker.describeLeft());
      const exit = toExit(status, tracker.oomKilled());
      if (!tracker.remove()) onNote(`cannot remove the cgroup ${tracker.cgroup?.track}`);
      release();
      return exit;
    })();
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.#done) throw new OrchError("the process has exited");
    await this.#stdin.write(data);
  }

  stop(options: { signal: string; timeoutMs: number }): Promise<ExitStatus> {
    if (!this.#stopping && !this.#done) this.#stopping = this.#stop(options);
    return this.exited;
  }

  async #stop({ signal, timeoutMs }: { signal: string; timeoutMs: number }): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const tracker = this.#tracker;
    tracker.signal(signal as Deno.Signal);
    // A suspended process could not act on the signal: wake it (as systemd does).
    if (signal !== "SIGCONT" && signal !== "SIGKILL") tracker.signal("SIGCONT");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const escalate = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        tracker.killNow();
        resolve();
      }, timeoutMs);
    });
    await Promise.race([this.#mainExit, escalate]);
    await this.#mainExit;
    // The main process is gone; the rest of the instance gets what is left of the timeout.
    while (!tracker.empty() && Date.now() < deadline) {
      await Promise.race([escalate, tick(20)]);
    }
    clearTimeout(timer);
    if (!tracker.empty()) await tracker.kill();
  }

  kill(): void {
    void this.#tracker.kill();
  }

  usage(): Usage | undefined {
    return this.#done ? undefined : this.#tracker.usage();
  }
}
