/**
 * The process runtime: each instance in its own process group (its own session), stdin kept open,
 * stopped by signalling the whole group and killing what is left after the timeout.
 *
 * @module
 */
import { argvOf, type Command } from "../../domain/model.ts";
import type { ExitStatus, Usage } from "../../domain/state.ts";
import { OrchError } from "../../domain/errors.ts";
import type {
  CommandResult,
  CommandRunner,
  Handle,
  InstanceSpec,
  Runtime,
} from "../../engine/ports.ts";
import { GroupGuard } from "./group_guard.ts";
import { GroupRecord, MARKER } from "./leftovers.ts";
import { groupUsage } from "./procstat.ts";
import { resolveIds } from "./users.ts";

/** Options of the process runtime. */
export interface ProcessRuntimeOptions {
  /** Marks every child (env `ORCH_PROJECT`) so that leftovers can be told apart. */
  readonly project: string;
  /** File that lists live process groups, for cleanup after a crash. */
  readonly groupFile?: string;
}

/** Quotes a word for `sh`. */
function shQuote(word: string): string {
  return /^[A-Za-z0-9_\/.:=,+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'"'"'`)}'`;
}

/**
 * Runs argv on a pseudo-terminal (`tty: true`) through util-linux `script`: the program sees a
 * terminal on stdin, stdout and stderr; its output (merged, with CRLF line ends) comes back on
 * script's stdout, and its exit status is script's (`-e`).
 */
export function withTerminal(argv: readonly string[]): string[] {
  return ["script", "-qfec", argv.map(shQuote).join(" "), "/dev/null"];
}

const found = new Map<string, string | null>();
/** The path of a util-linux helper (`setsid`, `setpriv`), or null. */
function helper(name: string): string | null {
  if (!found.has(name)) {
    found.set(name, null);
    for (const dir of ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]) {
      try {
        Deno.statSync(`${dir}/${name}`);
        found.set(name, `${dir}/${name}`);
        break;
      } catch {
        // not here
      }
    }
  }
  return found.get(name)!;
}

/** Finds the program of argv on the PATH of `env`, relative to `cwd`; undefined when it is missing. */
export function findProgram(
  program: string,
  cwd: string,
  env: Record<string, string>,
): string | undefined {
  const candidates = program.includes("/")
    ? [program.startsWith("/") ? program : `${cwd}/${program}`]
    : (env.PATH ?? "/usr/local/bin:/usr/bin:/bin").split(":").filter(Boolean).map((d) =>
      `${d}/${program}`
    );
  for (const candidate of candidates) {
    try {
      const info = Deno.statSync(candidate);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

function signalGroup(pgid: number, signal: Deno.Signal): boolean {
  try {
    Deno.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Signals the group led by `pid`, or the process itself when its group does not exist yet (just
 * after the spawn, before `setsid` has run).
 */
function signalInstance(pid: number, signal: Deno.Signal): boolean {
  if (signalGroup(pid, signal)) return true;
  try {
    Deno.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

function toExit(status: Deno.CommandStatus): ExitStatus {
  return status.signal
    ? { code: null, signal: status.signal }
    : { code: status.code, signal: null };
}

/** Starts processes for instances. */
export class ProcessRuntime implements Runtime, CommandRunner {
  readonly #guard = new GroupGuard();
  readonly #record: GroupRecord | undefined;
  readonly #project: string;

  constructor(options: ProcessRuntimeOptions) {
    this.#project = options.project;
    this.#record = options.groupFile ? new GroupRecord(options.groupFile) : undefined;
  }

  #spawn(
    argv: string[],
    cwd: string,
    env: Record<string, string>,
    ids: { uid: number; gid: number } | undefined,
  ): Deno.ChildProcess {
    const program = findProgram(argv[0], cwd, env);
    if (!program) {
      throw new OrchError(
        argv[0].includes("/") ? `${argv[0]}: no such executable` : `${argv[0]}: command not found`,
      );
    }
    // Each service gets its own session and process group, and dies with orch (pdeathsig; the group
    // guard covers the rest). `setsid` as a program lets the spawn use posix_spawn, which costs the
    // same however large orch is; Deno's `detached` needs a fork. Switching users needs the fork.
    const setpriv = helper("setpriv");
    const setsid = ids ? null : helper("setsid");
    const full = [
      ...(setsid ? [setsid] : []),
      ...(setpriv ? [setpriv, "--pdeathsig", "SIGKILL", "--"] : []),
      program,
      ...argv.slice(1),
    ];
    try {
      const child = new Deno.Command(full[0], {
        args: full.slice(1),
        cwd,
        env: { ...env, [MARKER]: this.#project },
        clearEnv: true,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        detached: !setsid,
        ...(ids ? { uid: ids.uid, gid: ids.gid } : {}),
      }).spawn();
      // A detached child does not keep the event loop alive by itself; orch waits for it.
      child.ref();
      return child;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) throw new OrchError(`${cwd}: no such directory`);
      if (error instanceof Deno.errors.PermissionDenied && ids) {
        throw new OrchError(`cannot switch to uid ${ids.uid}: orch is not running as root`);
      }
      throw new OrchError(`cannot start ${argv[0]}: ${(error as Error).message}`);
    }
  }

  start(spec: InstanceSpec): Promise<Handle> {
    const svc = spec.service;
    if (!svc.command) throw new OrchError(`no command to run`);
    const ids = resolveIds(svc.user, svc.group);
    const argv = svc.tty ? withTerminal(argvOf(svc.command)) : argvOf(svc.command);
    const env = svc.tty && !spec.env.TERM
      ? { ...spec.env, TERM: "xterm-256color" }
      : { ...spec.env };
    const child = this.#spawn(argv, svc.workdir, env, ids);
    const pid = child.pid;
    this.#guard.add(pid);
    this.#record?.add(pid);
    return Promise.resolve(
      new ProcessHandle(child, () => {
        this.#guard.remove(pid);
        this.#record?.remove(pid);
      }),
    );
  }

  async run(
    command: Command,
    options: {
      cwd: string;
      env: Readonly<Record<string, string>>;
      timeoutMs: number;
      signal?: AbortSignal;
    },
  ): Promise<CommandResult> {
    let child: Deno.ChildProcess;
    try {
      child = this.#spawn(argvOf(command), options.cwd, { ...options.env }, undefined);
    } catch (error) {
      return { code: null, output: "", timedOut: false, error: (error as Error).message };
    }
    child.stdin.close().catch(() => {});
    const pid = child.pid;
    this.#guard.add(pid);
    let timedOut = false;
    const kill = () => signalInstance(pid, "SIGKILL");
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    options.signal?.addEventListener("abort", kill, { once: true });
    const decoder = new TextDecoder();
    let output = "";
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) {
        if (output.length < 4096) output += decoder.decode(chunk, { stream: true });
      }
    };
    const [status] = await Promise.all([
      child.status,
      collect(child.stdout),
      collect(child.stderr),
    ]);
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", kill);
    signalGroup(pid, "SIGKILL");
    this.#guard.remove(pid);
    return {
      code: status.signal ? null : status.code,
      output: output.trim().slice(0, 4096),
      timedOut,
    };
  }

  async close(): Promise<void> {
    this.#record?.flush();
    await this.#guard.close();
  }
}

class ProcessHandle implements Handle {
  readonly pid: number;
  readonly id: string;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly exited: Promise<ExitStatus>;
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #done = false;
  #stopping: Promise<ExitStatus> | undefined;

  constructor(child: Deno.ChildProcess, release: () => void) {
    this.#child = child;
    this.pid = child.pid;
    this.id = String(child.pid);
    this.stdout = child.stdout;
    this.stderr = child.stderr;
    this.#stdin = child.stdin.getWriter();
    this.exited = child.status.then((status) => {
      this.#done = true;
      // Whatever the leader left in its group goes with it (unless a stop is waiting on it).
      if (!this.#stopping) signalGroup(this.pid, "SIGKILL");
      this.#stdin.close().catch(() => {});
      release();
      return toExit(status);
    });
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.#done) throw new OrchError("the process has exited");
    await this.#stdin.write(data);
  }

  stop(options: { signal: string; timeoutMs: number }): Promise<ExitStatus> {
    this.#stopping ??= this.#stop(options);
    return this.#stopping;
  }

  async #stop({ signal, timeoutMs }: { signal: string; timeoutMs: number }): Promise<ExitStatus> {
    const deadline = Date.now() + timeoutMs;
    signalInstance(this.pid, signal as Deno.Signal);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const escalate = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        signalInstance(this.pid, "SIGKILL");
        resolve();
      }, timeoutMs);
    });
    const exit = await this.exited;
    // The leader is gone; give the rest of its group what is left of the timeout, then kill it.
    while (signalGroup(this.pid, "SIGCONT") && Date.now() < deadline) {
      await Promise.race([escalate, new Promise((r) => setTimeout(r, 20))]);
    }
    clearTimeout(timer);
    signalInstance(this.pid, "SIGKILL");
    return exit;
  }

  kill(): void {
    signalInstance(this.pid, "SIGKILL");
  }

  usage(): Usage | undefined {
    return this.#done ? undefined : groupUsage(this.pid);
  }
}
