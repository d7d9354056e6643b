/**
 * The TUI's model: what the stack looks like, the log lines kept, and what the user selected,
 * filtered and typed. The view is a pure function of it; keys are pure functions on it.
 *
 * @module
 */
import {
  atLeast,
  type InstanceStatus,
  type Level,
  type LogRecord,
  type ServiceSummary,
} from "../domain/mod.ts";
import { clean } from "./text.ts";

/** What the user is doing. */
export type Mode = "normal" | "filter" | "input" | "help" | "confirmQuit";

/** A line in the log pane: the record and its text, cleaned of escapes. */
export interface LogLine {
  readonly record: LogRecord;
  readonly text: string;
}

/** The stack as the TUI sees it. */
export interface Snapshot {
  readonly stack: string;
  readonly startedAt: number;
  readonly now: number;
  /** "running", "stopping", or "disconnected" when the connection is gone. */
  readonly phase: string;
  readonly services: readonly ServiceSummary[];
  readonly instances: readonly InstanceStatus[];
}

/** The whole state of the TUI. */
export interface Model extends Snapshot {
  readonly width: number;
  readonly height: number;
  /** Kept log lines, oldest first (bounded by `logCapacity`). */
  readonly logs: readonly LogLine[];
  readonly logCapacity: number;
  readonly selected: number;
  /** The first service row shown when the table is taller than its space. */
  readonly tableTop: number;
  /** The service whose logs the pane shows alone, or undefined for all. */
  readonly focus?: string;
  readonly filter?: { readonly source: string; readonly re: RegExp };
  readonly minLevel?: Level;
  /** Following the newest lines; when false, `scroll` lines are hidden below the pane. */
  readonly follow: boolean;
  readonly scroll: number;
  /** The line marked by n/N, by sequence number. */
  readonly mark?: number;
  readonly mode: Mode;
  readonly input: string;
  /** A message in the footer, until the next key. */
  readonly flash?: string;
  /** The stack ended by itself: the final table stays, with this message, until a key. */
  readonly ended?: string;
  /** Quitting asks whether to stop the stack (`orch up`), or just leaves (`orch attach`). */
  readonly ownsStack: boolean;
}

/** A fresh model. */
export function initialModel(options: {
  width: number;
  height: number;
  stack: string;
  ownsStack: boolean;
  logCapacity?: number;
  now?: number;
}): Model {
  return {
    width: options.width,
    height: options.height,
    stack: options.stack,
    startedAt: options.now ?? 0,
    now: options.now ?? 0,
    phase: "running",
    services: [],
    instances: [],
    logs: [],
    logCapacity: options.logCapacity ?? 10_000,
    selected: 0,
    tableTop: 0,
    follow: true,
    scroll: 0,
    mode: "normal",
    input: "",
    ownsStack: options.ownsStack,
  };
}

/** Adds records to the kept lines, dropping the oldest past the capacity. */
export function withLogs(model: Model, records: readonly LogRecord[]): Model {
  if (records.length === 0) return model;
  const added = records.map((record) => ({ record, text: clean(record.msg) }));
  let logs = model.logs.concat(added);
  if (logs.length > model.logCapacity) logs = logs.slice(logs.length - model.logCapacity);
  // When not following, keep the same lines in view.
  const scroll = model.follow ? 0 : model.scroll + added.filter((l) => shown(model, l)).length;
  return { ...model, logs, scroll };
}

/** Whether a line passes the focus, level and regex filters. */
export function shown(model: Model, line: LogLine): boolean {
  if (model.focus && line.record.service !== model.focus && line.record.service !== "orch") {
    return false;
  }
  if (model.minLevel && !atLeast(line.record.level, model.minLevel)) return false;
  if (model.filter) {
    model.filter.re.lastIndex = 0;
    if (!model.filter.re.test(line.text)) return false;
  }
  return true;
}

/** The lines that pass the filters, oldest first. */
export function filtered(model: Model): LogLine[] {
  return model.logs.filter((l) => shown(model, l));
}

/** The layout: rows for the table and for the log pane. */
export function layout(model: Model): { tableRows: number; logTop: number; logRows: number } {
  // header (1) + table header (1) + rows + log title (1) + logs + footer (1)
  const maxTable = Math.max(1, Math.floor((model.height - 4) * 0.4));
  const tableRows = Math.min(model.services.length || 1, maxTable);
  const logTop = 2 + tableRows + 1;
  return { tableRows, logTop, logRows: Math.max(0, model.height - logTop - 1) };
}

/** Which service rows the table shows: `rows` from `first`, with how many are hidden. */
export interface TableWindow {
  readonly first: number;
  readonly rows: number;
  readonly above: number;
  readonly below: number;
}

/**
 * The table's window on the services: all of them when they fit; else, one row fewer than the
 * table's space (the last says how many more there are), from `tableTop`, moved so that the
 * selected service is in view.
 */
export function tableWindow(model: Model): TableWindow {
  const { tableRows } = layout(model);
  const total = model.services.length;
  if (total <= tableRows) return { first: 0, rows: total, above: 0, below: 0 };
  const rows = Math.max(1, tableRows - 1);
  const selected = Math.min(model.selected, total - 1);
  let first = Math.min(model.tableTop, total - rows);
  if (selected < first) first = selected;
  if (selected >= first + rows) first = selected - rows + 1;
  first = Math.max(0, first);
  return { first, rows, above: first, below: total - first - rows };
}

/** The lines in the log pane now, and the index of the first in `filtered(model)`. */
export function visibleLogs(model: Model): { lines: LogLine[]; first: number; total: number } {
  const all = filtered(model);
  const { logRows } = layout(model);
  const end = Math.max(0, all.length - (model.follow ? 0 : model.scroll));
  const first = Math.max(0, end - logRows);
  return { lines: all.slice(first, end), first, total: all.length };
}

/** The service under the cursor. */
export function selectedService(model: Model): ServiceSummary | undefined {
  return model.services[Math.min(model.selected, model.services.length - 1)];
}
