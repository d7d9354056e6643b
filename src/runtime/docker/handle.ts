/**
 * A running container as the engine sees it: its output demultiplexed from the attach stream, its
 * exit from `wait` (a signal for the codes past 128, the OOM killer from inspect), stop with the
 * service's signal then a kill after the timeout, stats sampled for usage, exec for probes. The
 * container is removed once it has exited.
 *
 * @module
 */
import { argvOf, type Command, type ExitStatus, OrchError, type Usage } from "../../domain/mod.ts";
import type { CommandResult, Endpoint, Handle } from "../../engine/mod.ts";
import { type Attached, demultiplex, type DockerClient } from "./client.ts";

const SIGNALS: Record<number, string> = { 1: "SIGHUP", 2: "SIGINT", 9: "SIGKILL", 15: "SIGTERM" };

/** How long a container killed by SIGKILL with a memory limit is asked about again. */
const OOM_NOTICE_MS = 1000;

/**
 * Whether the engine says the OOM killer ended the container. containerd sends the OOM event apart
 * from the exit, and under load it can come after `wait` has returned (containerd/containerd#12260):
 * for a SIGKILL nobody explained (`askAgain`) of a container with a memory limit, inspect is asked
 * again until it says so or {@link OOM_NOTICE_MS} have passed.
 */
async function oomKilled(client: DockerClient, id: string, askAgain: boolean): Promise<boolean> {
  const deadline = Date.now() + OOM_NOTICE_MS;
  for (;;) {
    const info = await client.json<
      { State?: { OOMKilled?: boolean }; HostConfig?: { Memory?: number } }
    >("GET", `/containers/${id}/json`).catch(() => undefined);
    if (info?.State?.OOMKilled) return true;
    if (!askAgain || !info?.HostConfig?.Memory || Date.now() >= deadline) {
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One started container. */
export class ContainerHandle implements Handle {
  readonly pid: number | undefined;
  readonly endpoints: readonly Endpoint[];
  readonly id: string;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly exited: Promise<ExitStatus>;
  readonly #client: DockerClient;
  readonly #attached: Attached;
  #stopping: Promise<ExitStatus> | undefined;
  #usage: Usage | undefined;
  #sampling: ReturnType<typeof setInterval> | undefined;
  #done = false;
  /** Whether orch sent the container a SIGKILL. */
  #killed = false;

  constructor(
    client: DockerClient,
    id: string,
    started: { pid: number | undefined; endpoints: readonly Endpoint[] },
    attached: Attached,
    tty: boolean,
    release: () => void,
  ) {
    this.#client = client;
    this.id = id;
    this.pid = started.pid;
    this.endpoints = started.endpoints;
    this.#attached = attached;
    if (tty) {
      this.stdout = attached.readable;
      this.stderr = new ReadableStream({ start: (c) => c.close() });
    } else {
      const { stdout, stderr } = demultiplex(attached.readable);
      this.stdout = stdout;
      this.stderr = stderr;
    }
    this.exited = (async () => {
      let exit: ExitStatus;
      try {
        const { StatusCode } = await client.json<{ StatusCode: number }>(
          "POST",
          `/containers/${id}/wait`,
        );
        const signal = StatusCode > 128 && StatusCode < 160 ? SIGNALS[StatusCode - 128] : undefined;
        exit = signal ? { code: null, signal } : { code: StatusCode, signal: null };
        // A SIGKILL orch sent is not asked about again.
        const unexplained = exit.signal === "SIGKILL" && !this.#killed;
        if (await oomKilled(client, id, unexplained)) exit = { ...exit, oomKilled: true };
      } catch {
        exit = { code: null, signal: "SIGKILL" };
      }
      this.#done = true;
      clearInterval(this.#sampling);
      attached.close();
      await client.call("DELETE", `/containers/${id}`, { query: { force: true, v: true } }).catch(
        () => {},
      );
      release();
      return exit;
    })();
    this.#sample();
    this.#sampling = setInterval(() => this.#sample(), 2000);
  }

  #sample(): void {
    if (this.#done) return;
    this.#client.json<{
      cpu_stats?: { cpu_usage?: { total_usage?: number } };
      memory_stats?: { usage?: number; stats?: { cache?: number; inactive_file?: number } };
    }>("GET", `/containers/${this.id}/stats`, { query: { stream: false, "one-shot": true } })
      .then((s) => {
        const memory = (s.memory_stats?.usage ?? 0) -
          (s.memory_stats?.stats?.inactive_file ?? s.memory_stats?.stats?.cache ?? 0);
        this.#usage = {
          cpuSeconds: (s.cpu_stats?.cpu_usage?.total_usage ?? 0) / 1e9,
          rssBytes: Math.max(0, memory),
        };
      })
      .catch(() => {});
  }

  usage(): Usage | undefined {
    return this.#done ? undefined : this.#usage;
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.#done) throw new OrchError("the container has exited");
    await this.#attached.write(data);
  }

  stop(options: { signal: string; timeoutMs: number }): Promise<ExitStatus> {
    this.#stopping ??= (async () => {
      // Stop signals come normalized (SIGTERM, not TERM).
      if (options.signal === "SIGKILL") this.#killed = true;
      await this.#client.call("POST", `/containers/${this.id}/kill`, {
        query: { signal: options.signal },
      })
        .catch(() => {});
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<"late">((
        resolve,
      ) => (timer = setTimeout(() => resolve("late"), options.timeoutMs)));
      const first = await Promise.race([this.exited, late]);
      clearTimeout(timer);
      if (first === "late") this.kill();
      return await this.exited;
    })();
    return this.#stopping;
  }

  kill(): void {
    this.#killed = true;
    this.#client.call("POST", `/containers/${this.id}/kill`, { query: { signal: "SIGKILL" } })
      .catch(() => {});
  }

  /** Runs a command inside the container (a cmd probe with `inContainer`). */
  async exec(command: Command, options: { timeoutMs: number }): Promise<CommandResult> {
    const abort = AbortSignal.timeout(options.timeoutMs);
    try {
      const { Id } = await this.#client.json<{ Id: string }>(
        "POST",
        `/containers/${this.id}/exec`,
        {
          body: { Cmd: argvOf(command), AttachStdout: true, AttachStderr: true },
        },
      );
      const response = await this.#client.request("POST", `/exec/${Id}/start`, {
        body: { Detach: false, Tty: false },
        signal: abort,
      });
      const { stdout, stderr } = demultiplex(response.body!);
      const read = async (s: ReadableStream<Uint8Array>) => {
        let text = "";
        for await (const chunk of s.pipeThrough(new TextDecoderStream())) {
          if (text.length < 4096) text += chunk;
        }
        return text;
      };
      const [out, err] = await Promise.all([read(stdout), read(stderr)]);
      const { ExitCode } = await this.#client.json<{ ExitCode: number | null }>(
        "GET",
        `/exec/${Id}/json`,
      );
      return { code: ExitCode, output: (out + err).trim().slice(0, 4096), timedOut: false };
    } catch (error) {
      if (abort.aborted) return { code: null, output: "", timedOut: true };
      return { code: null, output: "", timedOut: false, error: (error as Error).message };
    }
  }
}
