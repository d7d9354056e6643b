/**
 * The dashboard's log pane as pure functions: records as they come over `/v1/logs` (NDJSON, `ts`
 * an ISO time), the query URL, the regular-expression and level filters, the pieces of a line
 * that a search marks, a bounded buffer, and the text of a download. Service output is text:
 * escape sequences are removed, and nothing here makes markup of it.
 *
 * @module
 */
import { atLeast, type Level, LEVELS, sanitize } from "../domain/mod.ts";

/** A log record as the API sends it. */
export interface WireRecord {
  readonly ts: string;
  readonly seq: number;
  readonly service: string;
  readonly replica: number;
  readonly stream: "stdout" | "stderr" | "orch";
  readonly level: Level;
  readonly msg: string;
  readonly run?: number;
  readonly task?: string;
}

/** A parsed NDJSON line, or undefined when it is not a record (a torn or foreign line). */
export function parseRecord(line: string): WireRecord | undefined {
  if (line.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== "object") return undefined;
  const r = value as Record<string, unknown>;
  if (typeof r.msg !== "string" || typeof r.service !== "string") return undefined;
  const level = (LEVELS as readonly unknown[]).includes(r.level) ? r.level as Level : "info";
  return {
    ts: typeof r.ts === "string" ? r.ts : new Date(Number(r.ts) || 0).toISOString(),
    seq: typeof r.seq === "number" ? r.seq : 0,
    service: r.service,
    replica: typeof r.replica === "number" ? r.replica : 0,
    stream: r.stream === "stderr" || r.stream === "orch" ? r.stream : "stdout",
    level,
    msg: r.msg,
    ...(typeof r.run === "number" ? { run: r.run } : {}),
    ...(typeof r.task === "string" ? { task: r.task } : {}),
  };
}

/** What the pane asks the API for. */
export interface LogRequest {
  /** One service, or all when absent. */
  readonly service?: string;
  readonly minLevel?: Level;
  /** The last this many kept records first. */
  readonly tail?: number;
  readonly follow?: boolean;
}

/** The `/v1/logs` URL (path and query) of a request. */
export function logsPath(request: LogRequest): string {
  const query = new URLSearchParams();
  if (request.service) query.set("service", request.service);
  if (request.minLevel) query.set("level", request.minLevel);
  if (request.tail !== undefined) query.set("tail", String(request.tail));
  if (request.follow) query.set("follow", "true");
  const text = query.toString();
  return `/v1/logs${text ? `?${text}` : ""}`;
}

/** A regular expression typed by someone: compiled (case-insensitive unless it has a capital). */
export function compilePattern(text: string): { regex?: RegExp; error?: string } {
  if (text === "") return {};
  try {
    return { regex: new RegExp(text, /[A-Z]/.test(text) ? "g" : "gi") };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Whether a record passes the level and pattern filters. */
export function passes(
  record: WireRecord,
  filter: { readonly minLevel?: Level; readonly regex?: RegExp },
): boolean {
  if (filter.minLevel && !atLeast(record.level, filter.minLevel)) return false;
  if (filter.regex) {
    filter.regex.lastIndex = 0;
    const hit = filter.regex.test(displayText(record));
    filter.regex.lastIndex = 0;
    if (!hit) return false;
  }
  return true;
}

/** The message as shown: escape sequences and control characters removed. */
export function displayText(record: WireRecord): string {
  return sanitize(record.msg);
}

/** Where a record came from: `api`, `api.2`, `etl/run 4/load`. */
export function sourceOf(record: WireRecord): string {
  if (record.run !== undefined) return `${record.service}/${record.run}/${record.task ?? ""}`;
  return record.replica > 0 ? `${record.service}.${record.replica}` : record.service;
}

/** `HH:MM:SS.mmm` of a record's time, in the browser's zone. */
export function clockTime(ts: string): string {
  const date = new Date(ts);
  if (Number.isNaN(date.getTime())) return ts.slice(0, 12);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.` +
    pad(date.getMilliseconds(), 3);
}

/** A piece of a line: marked when a search matched it. */
export interface Piece {
  readonly text: string;
  readonly hit: boolean;
}

/** Splits `text` into pieces around the matches of `regex` (empty matches are skipped). */
export function markMatches(text: string, regex: RegExp | undefined): Piece[] {
  if (!regex) return [{ text, hit: false }];
  const flags = regex.flags.includes("g") ? regex.flags : `${regex.flags}g`;
  const global = new RegExp(regex.source, flags);
  const pieces: Piece[] = [];
  let at = 0;
  for (const match of text.matchAll(global)) {
    if (match[0] === "") continue;
    const start = match.index!;
    if (start > at) pieces.push({ text: text.slice(at, start), hit: false });
    pieces.push({ text: match[0], hit: true });
    at = start + match[0].length;
    if (pieces.length > 2000) break;
  }
  if (at < text.length) pieces.push({ text: text.slice(at), hit: false });
  return pieces.length ? pieces : [{ text, hit: false }];
}

/** One record as a line of text: time, source, level, message (for downloads and copies). */
export function recordLine(record: WireRecord): string {
  return `${record.ts} ${sourceOf(record)} ${record.stream} ${record.level} ${displayText(record)}`;
}

/** The text of a download: the records shown, one a line. */
export function downloadText(records: readonly WireRecord[]): string {
  return records.map((r) => recordLine(r) + "\n").join("");
}

/** A download's file name: `orch-logs-SERVICE-20250101-120000.log`. */
export function downloadName(service: string | undefined, now: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const stamp = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-` +
    `${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  const who = (service ?? "all").replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 64);
  return `orch-logs-${who}-${stamp}.log`;
}

/** A buffer of the last `capacity` records; `push` returns how many were dropped. */
export class RecordBuffer {
  readonly #capacity: number;
  #records: WireRecord[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** The records kept, oldest first. */
  get records(): readonly WireRecord[] {
    return this.#records;
  }

  push(records: readonly WireRecord[]): number {
    this.#records.push(...records);
    const over = this.#records.length - this.#capacity;
    if (over > 0) this.#records = this.#records.slice(over);
    return Math.max(0, over);
  }

  clear(): void {
    this.#records = [];
  }
}

/** Splits a stream of text into lines: `feed` returns the whole lines, keeping the rest. */
export class LineSplitter {
  #rest = "";

  feed(text: string): string[] {
    const parts = (this.#rest + text).split("\n");
    this.#rest = parts.pop() ?? "";
    return parts;
  }

  /** What is left at the end of the stream. */
  end(): string[] {
    const rest = this.#rest;
    this.#rest = "";
    return rest ? [rest] : [];
  }
}
