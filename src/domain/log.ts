/**
 * Log records: one per line a service writes, plus orch's own meta-records.
 *
 * @module
 */

/** Levels, lowest first. */
export const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
/** A log level. */
export type Level = typeof LEVELS[number];

/** One line of output, structured. Persisted as one NDJSON line. */
export interface LogRecord {
  /** Milliseconds since the epoch. */
  readonly ts: number;
  /** Position in the stack's log, increasing by one. */
  readonly seq: number;
  readonly service: string;
  readonly replica: number;
  /** Where it came from; `orch` for meta-records such as dropped-line notices. */
  readonly stream: "stdout" | "stderr" | "orch";
  readonly level: Level;
  readonly msg: string;
  /** For a flow task's output: the run id (`service` is then the flow's name). */
  readonly run?: number;
  /** For a flow task's output: the task's name. */
  readonly task?: string;
}

let lastTs = NaN;
let lastIso = "";
/** `ts` as an ISO string; a flood shares milliseconds, so the last one is kept. */
function iso(ts: number): string {
  if (ts !== lastTs) {
    lastTs = ts;
    lastIso = new Date(ts).toISOString();
  }
  return lastIso;
}

const quoted = new Map<string, string>();
/** JSON of a short string that repeats (service names, streams, levels). */
function quote(text: string): string {
  let q = quoted.get(text);
  if (q === undefined) {
    q = JSON.stringify(text);
    if (quoted.size < 10_000) quoted.set(text, q);
  }
  return q;
}

/**
 * The record as persisted: `ts` as an ISO string. Built by hand: this runs for every line a service
 * writes, and is several times faster than `JSON.stringify` of an object with a fresh date.
 */
export function toNdjson(record: LogRecord): string {
  const head = `{"ts":"${iso(record.ts)}","seq":${record.seq},"service":${quote(record.service)},` +
    `"replica":${record.replica},"stream":${quote(record.stream)},"level":${quote(record.level)},` +
    `"msg":${JSON.stringify(record.msg)}`;
  return record.run === undefined
    ? `${head}}`
    : `${head},"run":${record.run},"task":${quote(record.task ?? "")}}`;
}

/** A persisted NDJSON line back into a record (`ts` to milliseconds). Throws on bad JSON. */
export function fromNdjson(line: string): LogRecord {
  const raw = JSON.parse(line);
  return { ...raw, ts: Date.parse(raw.ts) };
}

/** Whether `level` is at least `min`. */
export function atLeast(level: Level, min: Level): boolean {
  return LEVELS.indexOf(level) >= LEVELS.indexOf(min);
}

/** Which records to read or follow. */
export interface LogQuery {
  /** Only these services (all when empty or absent). */
  readonly services?: readonly string[];
  readonly minLevel?: Level;
  /** Only records at or after this time (ms since the epoch). */
  readonly since?: number;
  /** Only the output of this flow run. */
  readonly run?: number;
  /** Only the output of this flow task (with `run`, of that run). */
  readonly task?: string;
}

/** Whether a record passes a query. */
export function matchesQuery(record: LogRecord, query: LogQuery | undefined): boolean {
  if (!query) return true;
  if (query.services?.length && !query.services.includes(record.service)) return false;
  if (query.since !== undefined && record.ts < query.since) return false;
  if (query.minLevel && !atLeast(record.level, query.minLevel)) return false;
  if (query.run !== undefined && record.run !== query.run) return false;
  if (query.task !== undefined && record.task !== query.task) return false;
  return true;
}
