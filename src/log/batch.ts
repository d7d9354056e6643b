/**
 * A batch of log records: the lines of one read of one stream (they share a service, replica,
 * stream, time and a run of sequence numbers), kept as bytes; a line becomes a string, or a
 * {@link LogRecord} object, only when someone asks for it. A single record (orch's notes, a record
 * appended whole) is a batch of one.
 *
 * @module
 */
import { type Level, LEVELS, type LogRecord } from "../domain/mod.ts";
import { detectLevel, mayShowLevel } from "./level.ts";
import { EQUALS, type Lines, MAY_LEVEL, NON_ASCII } from "./split.ts";

/** Whose lines a batch holds. */
export interface Source {
  readonly service: string;
  readonly replica: number;
  readonly stream: LogRecord["stream"];
  readonly run?: number;
  readonly task?: string;
}

/** The index of each level in {@link LEVELS}. */
export const LEVEL_INDEX: Readonly<Record<Level, number>> = Object.fromEntries(
  LEVELS.map((l, i) => [l, i]),
) as Record<Level, number>;
const INFO = LEVEL_INDEX.info;

// A BOM inside the stream is text: only the one opening it is dropped (by the splitter).
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** Records that share their source and time. */
export interface Batch {
  readonly source: Source;
  readonly ts: number;
  /** The sequence number of the first record; the others follow one by one. */
  readonly firstSeq: number;
  readonly count: number;
  /** The lines as bytes; undefined for a batch made of a record. */
  readonly lines: Lines | undefined;
  /** Record `i`'s level, as an index into {@link LEVELS}. */
  levelAt(i: number): number;
  /** Record `i`'s text. */
  msg(i: number): string;
  /** Record `i`. */
  record(i: number): LogRecord;
}

/** The levels of `lines`, each guessed from the line ({@link detectLevel}) only when it may show one. */
export function levelsOf(lines: Lines, text: (i: number) => string): Uint8Array {
  const levels = new Uint8Array(lines.count).fill(INFO);
  if (!(lines.all & MAY_LEVEL)) return levels;
  const { bytes, starts, ends, flags } = lines;
  for (let i = 0; i < lines.count; i++) {
    const f = flags[i];
    if (!(f & MAY_LEVEL)) continue;
    if (mayShowLevel(bytes, starts[i], ends[i], (f & EQUALS) !== 0, (f & NON_ASCII) !== 0)) {
      levels[i] = LEVEL_INDEX[detectLevel(text(i))];
    }
  }
  return levels;
}

/** A batch of lines read from a stream. */
export class LineBatch implements Batch {
  readonly source: Source;
  readonly ts: number;
  readonly firstSeq: number;
  readonly lines: Lines;
  readonly count: number;
  readonly levels: Uint8Array;
  /** The whole batch decoded once, when every line is ASCII (offsets are then the same). */
  #text: string | undefined;

  constructor(source: Source, ts: number, firstSeq: number, lines: Lines) {
    this.source = source;
    this.ts = ts;
    this.firstSeq = firstSeq;
    this.lines = lines;
    this.count = lines.count;
    this.levels = levelsOf(lines, (i) => this.msg(i));
  }

  levelAt(i: number): number {
    return this.levels[i];
  }

  msg(i: number): string {
    const { bytes, starts, ends } = this.lines;
    if (this.lines.all & NON_ASCII) return decoder.decode(bytes.subarray(starts[i], ends[i]));
    this.#text ??= decoder.decode(bytes);
    return this.#text.slice(starts[i], ends[i]);
  }

  record(i: number): LogRecord {
    const s = this.source;
    const record: LogRecord = {
      ts: this.ts,
      seq: this.firstSeq + i,
      service: s.service,
      replica: s.replica,
      stream: s.stream,
      level: LEVELS[this.levels[i]],
      msg: this.msg(i),
    };
    return s.run === undefined ? record : { ...record, run: s.run, task: s.task };
  }
}

/** One record as a batch. */
export class RecordBatch implements Batch {
  readonly source: Source;
  readonly ts: number;
  readonly firstSeq: number;
  readonly count = 1;
  readonly lines = undefined;
  readonly #record: LogRecord;

  constructor(record: LogRecord) {
    this.#record = record;
    this.source = record;
    this.ts = record.ts;
    this.firstSeq = record.seq;
  }

  levelAt(): number {
    return LEVEL_INDEX[this.#record.level];
  }

  msg(): string {
    return this.#record.msg;
  }

  record(): LogRecord {
    return this.#record;
  }
}
