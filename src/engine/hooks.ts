/**
 * Hooks: `preScript` before an instance starts and `postScript` after every exit. Their output goes
 * to the service's log; post scripts are tracked until they end, so that a shutdown waits for
 * them, and a kill (the second Ctrl-C, or the shutdown timeout) ends them.
 *
 * @module
 */
import { type Command, formatDuration } from "../domain/mod.ts";
import type { CommandRunner, LogSink } from "./ports.ts";

/** One hook to run for one instance, variables expanded. */
export interface HookRun {
  readonly service: string;
  readonly replica: number;
  readonly which: "preScript" | "postScript";
  readonly command: Command;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

/** Runs hooks and keeps track of the post scripts still running. */
export class Hooks {
  readonly #runner: CommandRunner;
  readonly #logs: Pick<LogSink, "note">;
  readonly #abort = new AbortController();
  /** Post scripts running now, by instance key. */
  readonly #running = new Map<string, Set<Promise<unknown>>>();

  constructor(deps: { runner: CommandRunner; logs: Pick<LogSink, "note"> }) {
    this.#runner = deps.runner;
    this.#logs = deps.logs;
  }

  /**
   * Runs a hook to its end (or its timeout), its output logged under the instance.
   *
   * @returns undefined when it succeeded, else why not (`exit code 2`, `timeout after 5s`).
   */
  async run(hook: HookRun): Promise<string | undefined> {
    if (this.#abort.signal.aborted) return "not run: every process is being killed";
    const result = await this.#runner.run(hook.command, {
      cwd: hook.cwd,
      env: hook.env,
      timeoutMs: hook.timeoutMs,
      signal: this.#abort.signal,
    });
    const ok = result.code === 0 && !result.timedOut && !result.error;
    for (const line of result.output.split("\n").filter(Boolean)) {
      this.#logs.note(hook.service, hook.replica, `${hook.which}: ${line}`, ok ? "info" : "error");
    }
    if (ok) return undefined;
    const why = result.error ??
      (result.timedOut
        ? `timeout after ${formatDuration(hook.timeoutMs)}`
        : this.#abort.signal.aborted
        ? "killed"
        : `exit code ${result.code}`);
    if (hook.which === "postScript") {
      this.#logs.note(hook.service, hook.replica, `postScript failed: ${why}`, "error");
    }
    return why;
  }

  /** Starts a post script for the instance `key`, tracked until it ends. */
  startPost(key: string, hook: HookRun): void {
    const running = this.#running.get(key) ?? new Set();
    this.#running.set(key, running);
    const done: Promise<unknown> = this.run(hook).finally(() => {
      running.delete(done);
      if (running.size === 0 && this.#running.get(key) === running) this.#running.delete(key);
    });
    running.add(done);
  }

  /** Whether a post script of the instance `key` is running. */
  running(key: string): boolean {
    return this.#running.has(key);
  }

  /** Resolves once the post scripts of `keys` (of every instance when omitted) have ended. */
  async settled(keys?: readonly string[]): Promise<void> {
    for (;;) {
      const wanted = keys ?? [...this.#running.keys()];
      const pending = wanted.flatMap((k) => [...(this.#running.get(k) ?? [])]);
      if (pending.length === 0) return;
      await Promise.all(pending);
    }
  }

  /** Kills every hook running now; later ones are not run. */
  killAll(): void {
    this.#abort.abort();
  }
}
