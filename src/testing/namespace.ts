/**
 * Running orch as PID 1 of a fresh PID namespace (`unshare --pid --fork --mount-proc`), and
 * looking into that namespace from outside: orch's pid on the host, the zombies left in it.
 *
 * @module
 */
import { orchArgv } from "./cli.ts";
import { waitFor } from "./deadline.ts";

/** Why orch cannot be run in a new PID namespace here, or undefined when it can. */
export async function namespaceProblem(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("unshare", {
      args: ["--pid", "--fork", "--mount-proc", "sh", "-c", "echo $$"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const said = new TextDecoder().decode(out.stdout).trim();
    if (out.code === 0 && said === "1") return undefined;
    return `unshare --pid failed: ${new TextDecoder().decode(out.stderr).trim() || said}`;
  } catch (error) {
    return `unshare: ${(error as Error).message}`;
  }
}

function statOf(pid: number): { state: string; ppid: number } | undefined {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: f[0], ppid: Number(f[1]) };
  } catch {
    return undefined;
  }
}

function pidNamespace(pid: number): string | undefined {
  try {
    return Deno.readLinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim().split(" ")
      .filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** What an init run printed and how it ended. */
export interface InitExit {
  readonly code: number;
  readonly output: string;
}

/** orch running as PID 1 in its own PID namespace. */
export class InitRun implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  #output = "";
  readonly #waiters = new Set<() => void>();
  readonly exited: Promise<InitExit>;
  #hostPid: number | undefined;

  /** Starts `orch ARGS` (or `cmd` instead of orch) as PID 1 of a new namespace, in `cwd`. */
  constructor(
    cwd: string,
    args: readonly string[],
    options: { env?: Record<string, string>; cmd?: readonly string[] } = {},
  ) {
    const argv = [...(options.cmd ?? orchArgv()), ...args];
    this.#child = new Deno.Command("unshare", {
      args: ["--pid", "--fork", "--mount-proc", "--kill-child", ...argv],
      cwd,
      env: { NO_COLOR: "1", ...options.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const decoder = new TextDecoder();
    const read = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) {
        this.#output += decoder.decode(chunk, { stream: true });
        for (const waiter of [...this.#waiters]) waiter();
      }
    };
    const reading = Promise.all([read(this.#child.stdout), read(this.#child.stderr)]);
    this.exited = Promise.all([this.#child.status, reading]).then(([status]) => {
      for (const waiter of [...this.#waiters]) waiter();
      return { code: status.code, output: this.#output };
    });
  }

  /** Everything printed so far (stdout and stderr interleaved). */
  get output(): string {
    return this.#output;
  }

  /** orch's pid as the host sees it (unshare's child). */
  async hostPid(timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.#hostPid === undefined) {
      const [pid] = childrenOf(this.#child.pid);
      if (pid) this.#hostPid = pid;
      else if (Date.now() > deadline) throw new Error("orch did not start inside unshare");
      else await new Promise((r) => setTimeout(r, 10));
    }
    return this.#hostPid;
  }

  /** orch's pid inside its namespace (1, as init). */
  async namespacePid(): Promise<number> {
    const status = Deno.readTextFileSync(`/proc/${await this.hostPid()}/status`);
    const line = status.split("\n").find((l) => l.startsWith("NSpid:")) ?? "";
    return Number(line.trim().split(/\s+/).at(-1));
  }

  /** Whether orch has a handler installed for signal number `n` (`SigCgt` in /proc). */
  async catches(n: number): Promise<boolean> {
    const status = Deno.readTextFileSync(`/proc/${await this.hostPid()}/status`);
    const mask = BigInt(`0x${/SigCgt:\s*([0-9a-f]+)/.exec(status)?.[1] ?? "0"}`);
    return ((mask >> BigInt(n - 1)) & 1n) === 1n;
  }

  /** Whether a child of orch (started by any of its threads) has a command line matching `pattern`. */
  async hasChild(pattern: RegExp): Promise<boolean> {
    const pid = await this.hostPid();
    let tasks: string[] = [];
    try {
      tasks = [...Deno.readDirSync(`/proc/${pid}/task`)].map((t) => t.name);
    } catch {
      return false;
    }
    return tasks.flatMap((task) => {
      try {
        return Deno.readTextFileSync(`/proc/${pid}/task/${task}/children`).trim().split(" ")
          .filter(Boolean);
      } catch {
        return [];
      }
    }).some((child) => {
      try {
        return pattern.test(Deno.readTextFileSync(`/proc/${child}/cmdline`).replaceAll("\0", " "));
      } catch {
        return false;
      }
    });
  }

  /** Resolves with the output once `pattern` matches it; rejects naming `what` on timeout. */
  waitFor(pattern: RegExp, what: string, timeoutMs = 20_000): Promise<string> {
    return new Promise((resolve, reject) => {
      let done = false;
      const check = () => {
        if (done) return;
        if (pattern.test(this.#output)) {
          done = true;
          this.#waiters.delete(check);
          clearTimeout(timer);
          resolve(this.#output);
        }
      };
      const timer = setTimeout(() => {
        done = true;
        this.#waiters.delete(check);
        reject(
          new Error(`timed out after ${timeoutMs}ms waiting for ${what}; output:\n${this.#output}`),
        );
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** Sends a signal to orch from outside the namespace. */
  async signal(signal: Deno.Signal): Promise<void> {
    Deno.kill(await this.hostPid(), signal);
  }

  /** Every process in orch's namespace, with its state. */
  async processes(): Promise<{ pid: number; state: string; ppid: number }[]> {
    const ns = pidNamespace(await this.hostPid());
    const out: { pid: number; state: string; ppid: number }[] = [];
    if (!ns) return out;
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      const pid = Number(entry.name);
      if (pidNamespace(pid) !== ns) continue;
      const stat = statOf(pid);
      if (stat) out.push({ pid, ...stat });
    }
    return out;
  }

  /** The zombies in orch's namespace. */
  async zombies(): Promise<number[]> {
    return (await this.processes()).filter((p) => p.state === "Z").map((p) => p.pid);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await this.exited;
  }
}

/** Polls `check` every 20 ms until it returns true; rejects naming `what` after `timeoutMs`. */
export function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  return waitFor(check, what, timeoutMs);
}
