/**
 * The TUI loop: keeps the model up to date from a source (a local engine or a remote orch), turns
 * keys into commands, and draws at most `fps` frames a second, only the cells that changed. A flood
 * of log lines costs a bounded amount of work per frame, so it slows neither the UI nor the service.
 *
 * @module
 */
import type { LogRecord } from "../domain/log.ts";
import { type Command, handleKey } from "./keys.ts";
import { initialModel, type Model, type Snapshot, withLogs } from "./model.ts";

import { type Buffer, diff } from "./screen.ts";
import type { TerminalPort } from "./terminal.ts";
import { render } from "./view.ts";

/** Where the TUI gets its data and sends its commands. */
export interface TuiSource {
  snapshot(): Promise<Snapshot>;
  /** Kept records, then new ones as they come; ends when the stack is gone. */
  logs(): AsyncIterable<LogRecord> & { close(): void };
  /** Carries out restart, start, stop or send; resolves with a message for the footer. */
  act(command: Exclude<Command, { type: "save" | "quit" }>): Promise<string>;
  /** Writes lines to a file; resolves with its path. */
  save(lines: readonly string[]): Promise<string>;
}

/** Options of a TUI run. */
export interface TuiOptions {
  /** `orch up`: quitting asks whether to stop the stack. */
  readonly ownsStack: boolean;
  readonly fps?: number;
  readonly pollMs?: number;
  /**
   * Resolves when the stack has stopped. Without a value the TUI closes; with a message (the stack
   * ended by itself, e.g. its oneshots are done) it keeps the final table on screen, says the
   * message in the footer, and closes on the next key.
   */
  readonly ended?: Promise<string | void>;
  /** Called once when the user chose to stop the stack; the TUI stays until `ended`. */
  readonly onStop?: () => void;
  /** Called once when the terminal is gone (the TUI then closes at once, drawing nothing). */
  readonly onHangup?: (reason: string) => void;
  /** Closes the TUI when aborted (a signal while the final table is held on screen). */
  readonly signal?: AbortSignal;
}

/** What a run measured, for benchmarks. */
export interface TuiStats {
  frames: number;
  bytes: number;
  records: number;
}

/** Runs the TUI until the user quits or the stack ends; always restores the terminal. */
export async function runTui(
  source: TuiSource,
  terminal: TerminalPort,
  options: TuiOptions,
): Promise<{ stopStack: boolean; stats: TuiStats; lost?: string }> {
  const fps = options.fps ?? 20;
  const pollMs = options.pollMs ?? 500;
  const stats: TuiStats = { frames: 0, bytes: 0, records: 0 };
  const size = terminal.size();
  let model: Model = initialModel({
    width: size.columns,
    height: size.rows,
    stack: "",
    ownsStack: options.ownsStack,
    now: Date.now(),
  });
  let previous: Buffer | undefined;
  let pending: LogRecord[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastFrame = 0;
  let finished = false;
  let stopStack = false;
  let lost: string | undefined;
  // The stack has ended and the final table stays on screen: no more polling.
  let holding = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const finish = () => {
    finished = true;
    resolveDone();
  };

  const frame = () => {
    timer = undefined;
    if (finished) return;
    if (pending.length > 0) {
      stats.records += pending.length;
      // Only the newest lines can be kept: do not clean and store the rest.
      const newest = pending.length > model.logCapacity
        ? pending.slice(pending.length - model.logCapacity)
        : pending;
      model = withLogs(model, newest);
      pending = [];
    }
    const next = render(model);
    const out = diff(previous, next);
    if (out) {
      terminal.write(out);
      stats.bytes += out.length;
    }
    previous = next;
    stats.frames++;
    lastFrame = performance.now();
  };
  const schedule = () => {
    if (timer !== undefined || finished) return;
    const wait = Math.max(0, lastFrame + 1000 / fps - performance.now());
    timer = setTimeout(frame, wait);
  };
  const flash = (text: string) => {
    model = { ...model, flash: text };
    schedule();
  };

  const refresh = async () => {
    try {
      // Only the snapshot's own fields: a source may hand over a larger object.
      const { stack, startedAt, now, phase, services, instances } = await source.snapshot();
      if (holding) return;
      model = {
        ...model,
        stack,
        startedAt,
        now,
        phase,
        services,
        instances,
        selected: Math.min(model.selected, Math.max(0, services.length - 1)),
      };
    } catch {
      if (!holding) model = { ...model, phase: "disconnected" };
    }
    schedule();
  };
  const poll = async () => {
    while (!finished && !holding) {
      await refresh();
      await Promise.race([new Promise((r) => setTimeout(r, pollMs)), done]);
    }
  };
  const hold = async (message: string) => {
    await refresh();
    holding = true;
    model = { ...model, phase: "finished", ended: message };
    schedule();
  };

  const logs = source.logs();
  const follow = async () => {
    try {
      for await (const record of logs) {
        pending.push(record);
        // Bound the memory between frames: only the newest lines can be shown anyway.
        if (pending.length > model.logCapacity * 2) pending = pending.slice(-model.logCapacity);
        schedule();
      }
    } catch {
      // the source went away
    }
  };

  const run = async (command: Command) => {
    if (command.type === "quit") {
      if (!command.stopStack) return finish();
      stopStack = true;
      options.onStop?.();
      flash("stopping the stack…");
      if (!options.ended) finish();
      return;
    }
    try {
      if (command.type === "save") {
        const path = await source.save(command.lines);
        flash(`wrote ${command.lines.length} lines (${command.what}) to ${path}`);
      } else flash(await source.act(command));
    } catch (error) {
      flash(`${command.type} failed: ${(error as Error).message}`);
    }
  };

  const readKeys = async () => {
    for await (const key of terminal.keys()) {
      if (finished) return;
      if (key === "ctrl-l") previous = undefined;
      const result = handleKey(model, key);
      model = result.model;
      for (const command of result.commands) void run(command);
      schedule();
    }
  };

  const unsubscribe = terminal.onResize(() => {
    const { columns, rows } = terminal.size();
    model = { ...model, width: columns, height: rows };
    previous = undefined;
    schedule();
  });

  options.ended?.then((message) => message ? void hold(message) : finish(), finish);
  options.signal?.addEventListener("abort", finish, { once: true });
  void terminal.lost.then((reason) => {
    if (finished) return;
    lost = reason;
    finish();
    options.onHangup?.(reason);
  });
  try {
    void poll();
    void follow();
    void readKeys();
    frame();
    await done;
    return { stopStack, stats, ...(lost !== undefined ? { lost } : {}) };
  } finally {
    finished = true;
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", finish);
    unsubscribe();
    logs.close();
    terminal.restore();
  }
}
