/**
 * The PID 1 reaper: collects every orphan that was re-parented to orch (as a PID namespace's init,
 * or as a child subreaper) and has exited, so that no zombie piles up, without ever taking an exit
 * status that Deno waits for.
 *
 * On SIGCHLD (and on a slow sweep as a backstop, for a signal that coalesced with another), it
 * lists orch's children from `/proc/self/task/TID/children` (or, on kernels without that file,
 * from every `/proc/PID/stat`), and calls `waitpid(pid, WNOHANG)` on exactly those that orch did
 * not spawn (the `SpawnRegistry`). A live orphan answers 0 and is left alone. Never `waitpid(-1)`:
 * that takes Deno's own children too, and their `status` then fails.
 *
 * @module
 */
import { type Libc, WNOHANG } from "./libc.ts";
import { SpawnRegistry, trackSpawns } from "./spawned.ts";

/** Options of the reaper. */
export interface ReaperOptions {
  /** How often to sweep without a signal, in ms. Default 1000. */
  readonly sweepEveryMs?: number;
  /** Called for every orphan reaped, with its wait status. */
  readonly onReap?: (pid: number, status: number) => void;
}

function childrenFromTasks(): number[] | undefined {
  const pids: number[] = [];
  try {
    for (const task of Deno.readDirSync("/proc/self/task")) {
      const text = Deno.readTextFileSync(`/proc/self/task/${task.name}/children`);
      for (const word of text.split(" ")) if (word) pids.push(Number(word));
    }
  } catch (error) {
    // No such file: a kernel built without CONFIG_PROC_CHILDREN.
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  return pids;
}

function childrenFromStat(self: number): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const text = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      // pid (comm) state ppid ...: the command may hold spaces and parentheses.
      const ppid = Number(text.slice(text.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === self) pids.push(Number(entry.name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Reaps orphans re-parented to this process. */
export class Reaper {
  readonly #libc: Libc;
  readonly #options: ReaperOptions;
  readonly #registry: SpawnRegistry;
  #untrack: (() => void) | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #scheduled = false;
  #useTasks = true;
  #reaped = 0;
  readonly #onSignal = () => this.#schedule();

  constructor(libc: Libc, options: ReaperOptions = {}) {
    this.#libc = libc;
    this.#options = options;
    this.#registry = new SpawnRegistry(() => this.#schedule());
  }

  /** Starts tracking spawns and reaping. Call before orch spawns anything. */
  start(): void {
    if (this.#untrack) return;
    this.#untrack = trackSpawns(this.#registry);
    Deno.addSignalListener("SIGCHLD", this.#onSignal);
    const timer = setInterval(() => this.sweep(), this.#options.sweepEveryMs ?? 1000);
    Deno.unrefTimer(timer);
    this.#timer = timer;
    this.sweep();
  }

  /** How many orphans have been reaped. */
  get reaped(): number {
    return this.#reaped;
  }

  /** The children Deno itself waits for (for tests and diagnostics). */
  get registry(): SpawnRegistry {
    return this.#registry;
  }

  #schedule(): void {
    if (this.#scheduled || !this.#untrack) return;
    this.#scheduled = true;
    setTimeout(() => {
      this.#scheduled = false;
      this.sweep();
    }, 0);
  }

  #children(): number[] {
    if (this.#useTasks) {
      const pids = childrenFromTasks();
      if (pids) return pids;
      this.#useTasks = false;
    }
    return childrenFromStat(Deno.pid);
  }

  /** Reaps every exited orphan now; returns how many. */
  sweep(): number {
    if (!this.#untrack) return 0;
    let count = 0;
    for (const pid of this.#children()) {
      if (this.#registry.has(pid)) continue;
      const { pid: reaped, status } = this.#libc.waitpid(pid, WNOHANG);
      if (reaped === pid) {
        count++;
        this.#options.onReap?.(pid, status);
      }
    }
    this.#reaped += count;
    // More may have exited while this sweep ran; their SIGCHLD may have merged with the last one.
    if (count > 0) this.#schedule();
    return count;
  }

  /** Stops reaping and tracking spawns. */
  close(): void {
    if (!this.#untrack) return;
    Deno.removeSignalListener("SIGCHLD", this.#onSignal);
    clearInterval(this.#timer);
    this.#untrack();
    this.#untrack = undefined;
  }
}
