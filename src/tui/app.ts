/**
 * The TUI loop over the control interface (of this process's stack, or of a running orch through
 * its API): keeps the model up to date from the stack's events (a snapshot is taken when one
 * comes, CPU and memory refreshed slowly, the clock ticking on its own), turns keys into commands,
 * and draws at most `fps` frames a second, only the cells that changed. A flood of log lines
 * costs a bounded amount of work per frame, so it slows neither the UI nor the service.
 *
 * @module
 */
import type { Control, LogStream, StatusSnapshot, Stream } from "../control/mod.ts";
import { type InstanceStatus, type LogRecord, type OrchEvent, summarize } from "../domain/mod.ts";
import { type Command, handleKey } from "./keys.ts";
import { initialModel, type Model, withLogs } from "./model.ts";

import { type Buffer, diff } from "./screen.ts";
import type { TerminalPort } from "./terminal.ts";
import { render } from "./view.ts";

/** Options of a TUI run. */
export interface TuiOptions {
  /** `orch up`: quitting asks whether to stop the stack. */
  readonly ownsStack: boolean;
  /** Writes captured lines to a file; resolves with its path. */
  readonly save: (lines: readonly string[]) => Promise<string>;
  readonly fps?: number;
  /** How often CPU and memory are read again (events refresh the rest at once). */
  readonly usageMs?: number;
  /** Log records shown at the start: the newest this many kept. */
  readonly tail?: number;
  /**
   * Resolves when the stack has stopped. Without a value the TUI closes; with a message (the stack
   * ended by itself, e.g. its oneshots are done) it keeps the final table on screen, says the
   * message in the footer, and closes on the next key. Without `ended`, the TUI closes when the
   * stack's event stream ends (the orch it is attached to went away).
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
  /** Snapshots taken. */
  snapshots: number;
}

/** Carries out a command from a key through `control`; resolves with a message for the footer. */
export async function act(
  control: Control,
  command: Exclude<Command, { type: "save" | "quit" }>,
  progress: (text: string) => void = () => {},
): Promise<string> {
  const { service } = command;
  switch (command.type) {
    case "restart":
      progress(`restarting ${service}…`);
      await control.restart(service);
      return `restarted ${service}`;
    case "start":
      await control.start(service);
      return `starting ${service}`;
    case "stop":
      progress(`stopping ${service}…`);
      await control.stop(service);
      return `stopped ${service}`;
    case "send":
      return `sent to ${await control.send(service, command.text)} instance(s) of ${service}`;
  }
}

/** Events that change what the table shows. */
function changesTable(event: OrchEvent): boolean {
  return event.type === "state" || event.type === "probe" || event.type === "exited" ||
    event.type === "rollout" || event.type === "stack";
}

/** `next` with the usage of `previous` where it has none (a snapshot taken without it). */
function keepUsage(
  next: readonly InstanceStatus[],
  previous: readonly InstanceStatus[],
): InstanceStatus[] {
  const known = new Map(previous.flatMap((i) => (i.usage ? [[i.id, i.usage] as const] : [])));
  return next.map((i) => (i.usage || !known.has(i.id) ? i : { ...i, usage: known.get(i.id) }));
}

/** Runs the TUI until the user quits or the stack ends; always restores the terminal. */
export async function runTui(
  control: Control,
  terminal: TerminalPort,
  options: TuiOptions,
): Promise<{ stopStack: boolean; stats: TuiStats; lost?: string }> {
  const fps = options.fps ?? 20;
  const usageMs = options.usageMs ?? 2000;
  const stats: TuiStats = { frames: 0, bytes: 0, records: 0, snapshots: 0 };
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
  // The stack has ended and the final table stays on screen: no more snapshots.
  let holding = false;
  // The orch's clock at the last snapshot, and this process's then: the ages tick between.
  let clock = { orch: Date.now(), local: performance.now() };
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

  const show = (snapshot: StatusSnapshot) => {
    // Only the snapshot's own fields: a source may hand over a larger object.
    const { stack, startedAt, now, phase, instances } = snapshot;
    const kept = keepUsage(instances, model.instances);
    const services = summarize(kept);
    clock = { orch: now, local: performance.now() };
    model = {
      ...model,
      stack,
      startedAt,
      now,
      phase,
      services,
      instances: kept,
      selected: Math.min(model.selected, Math.max(0, services.length - 1)),
    };
  };

  // One snapshot at a time; what is asked for meanwhile is taken once it is done.
  let taking: Promise<void> | undefined;
  let again: { usage: boolean } | undefined;
  const refresh = (usage: boolean): Promise<void> => {
    if (taking) {
      again = { usage: usage || (again?.usage ?? false) };
      return taking;
    }
    taking = (async () => {
      try {
        const snapshot = await control.status({ usage });
        stats.snapshots++;
        if (!holding) show(snapshot);
      } catch {
        if (!holding) model = { ...model, phase: "disconnected" };
      }
      schedule();
    })().finally(() => {
      taking = undefined;
      const next = again;
      again = undefined;
      if (next && !finished && !holding) void refresh(next.usage);
    });
    return taking;
  };
  const hold = async (message: string) => {
    await refresh(true);
    holding = true;
    model = { ...model, phase: "finished", ended: message };
    schedule();
  };

  // The clock ticks every second; CPU and memory are read every `usageMs`.
  const tick = setInterval(() => {
    if (holding) return;
    model = { ...model, now: clock.orch + (performance.now() - clock.local) };
    schedule();
  }, 1000);
  const usage = setInterval(() => void (!holding && refresh(true)), usageMs);

  let events: Stream<OrchEvent> | undefined;
  const followEvents = async () => {
    try {
      events = await control.events();
      if (finished) return events.close();
      // The first snapshot after subscribing: no change can fall between the two.
      await refresh(true);
      for await (const batch of events.batches()) {
        if (finished) break;
        if (batch.some(changesTable)) void refresh(false);
      }
    } catch {
      // the stack went away
    }
    if (!options.ended) finish();
    else if (!finished && !holding) model = { ...model, phase: "disconnected" };
  };

  let logs: LogStream | undefined;
  const followLogs = async () => {
    try {
      logs = await control.logs({}, {
        tail: options.tail ?? 2000,
        follow: true,
        reader: "tui",
        capacity: 20_000,
      });
      if (finished) return logs.close();
      for await (const batch of logs.batches()) {
        pending.push(...batch);
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
        const path = await options.save(command.lines);
        flash(`wrote ${command.lines.length} lines (${command.what}) to ${path}`);
      } else flash(await act(control, command, flash));
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
    void followEvents();
    void followLogs();
    void readKeys();
    frame();
    await done;
    return { stopStack, stats, ...(lost !== undefined ? { lost } : {}) };
  } finally {
    finished = true;
    clearTimeout(timer);
    clearInterval(tick);
    clearInterval(usage);
    options.signal?.removeEventListener("abort", finish);
    unsubscribe();
    events?.close();
    logs?.close();
    terminal.restore();
  }
}
