/**
 * Reading the persisted NDJSON log (its rotated generations, oldest first) with bounded memory:
 * files are read in 512 KiB chunks into one buffer and scanned for lines as bytes (a line longer
 * than 1 MiB is skipped), a generation whose last record is older than `since` is skipped whole,
 * and `tail` keeps a ring of the last N. Lines come out as the bytes they are stored as, matched on
 * the prefix LogHub writes (scan.ts) without being decoded, so that a query over hundreds of
 * megabytes allocates little more than what it returns. The files are opened, and their sizes
 * taken, when the read is created: a rotation or new lines afterwards change nothing of what it
 * returns.
 *
 * @module
 */
import {
  fromNdjson,
  type LogQuery,
  type LogRecord,
  matchesQuery,
  toNdjson,
} from "../domain/mod.ts";
import { byteMatcher } from "./scan.ts";

/** Items in batches, oldest first; `close()` releases what the reading holds (open files). */
export interface Batches<T> extends AsyncIterable<T[]> {
  close(): void;
}

/** Chunks of NDJSON bytes (whole lines), oldest first; `close()` releases the files. */
export interface Chunks extends AsyncIterable<Uint8Array> {
  close(): void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NEWLINE = 10;

/**
 * A read of a file is an op handed to a thread of Deno's: 64 KiB reads spent more on the hand-off
 * than on the scan (4 queries over 100 MB: 4.2 s, and the control API's own requests waited 100 ms
 * on a socket read behind the file reads); 512 KiB reads took 1.6 s, and a request's median 2-3 ms.
 */
const CHUNK = 512 * 1024;
/** The end of a file read for the time of its last record. */
const TAIL = 64 * 1024;
const MAX_LINE = 1 << 20;

interface Opened {
  readonly file: Deno.FsFile;
  readonly size: number;
}

/** A bounded ring of the last `size` items. */
class LastN<T> {
  readonly #items: (T | undefined)[];
  #next = 0;
  #count = 0;
  constructor(size: number) {
    this.#items = new Array(size);
  }
  push(item: T): void {
    if (this.#items.length === 0) return;
    this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.#items.length;
    this.#count = Math.min(this.#count + 1, this.#items.length);
  }
  *drain(batch: number): Generator<T[]> {
    const n = this.#items.length;
    const start = (this.#next - this.#count + n) % Math.max(n, 1);
    let out: T[] = [];
    for (let i = 0; i < this.#count; i++) {
      out.push(this.#items[(start + i) % n]!);
      this.#items[(start + i) % n] = undefined;
      if (out.length === batch) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  }
}

/** The time of the last record of a file, or undefined when it cannot be read. */
async function lastTime({ file, size }: Opened): Promise<number | undefined> {
  if (size === 0) return undefined;
  const from = Math.max(0, size - TAIL);
  const buffer = new Uint8Array(size - from);
  try {
    await file.seek(from, Deno.SeekMode.Start);
    let at = 0;
    while (at < buffer.length) {
      const n = await file.read(buffer.subarray(at));
      if (n === null) break;
      at += n;
    }
    await file.seek(0, Deno.SeekMode.Start);
  } catch {
    return undefined;
  }
  const text = new TextDecoder().decode(buffer).trimEnd();
  const line = text.slice(text.lastIndexOf("\n") + 1);
  try {
    const ts = fromNdjson(line).ts;
    return Number.isNaN(ts) ? undefined : ts;
  } catch {
    return undefined;
  }
}

/** Whether the text of a line (not in LogHub's form) is a record that matches `query`. */
function parsesAndMatches(line: string, query: LogQuery): boolean {
  try {
    return matchesQuery(fromNdjson(line), query);
  } catch {
    return false;
  }
}

/** `lines` (each without its newline) as one chunk of NDJSON bytes. */
function joined(lines: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(lines.reduce((n, l) => n + l.length + 1, 0));
  let at = 0;
  for (const line of lines) {
    out.set(line, at);
    at += line.length;
    out[at++] = NEWLINE;
  }
  return out;
}

/**
 * The matching lines of the first `size` bytes of `file`, one chunk of NDJSON bytes per read
 * (lines that match go to `ring` instead, when there is one).
 */
async function* matching(
  one: Opened,
  buffer: Uint8Array,
  query: LogQuery,
  ring: LastN<Uint8Array> | undefined,
): AsyncGenerator<Uint8Array> {
  const match = byteMatcher(query);
  let left = one.size;
  let carry = 0;
  let skipping = false;
  for (;;) {
    let n = 0;
    if (left > 0) {
      n = await one.file.read(buffer.subarray(carry, carry + Math.min(CHUNK, left))) ?? 0;
      left = n === 0 ? 0 : left - n;
    }
    const filled = carry + n;
    const last = left === 0;
    const out = ring ? undefined : new Uint8Array(filled + 1);
    let used = 0;
    let start = 0;
    while (start < filled) {
      let end = buffer.indexOf(NEWLINE, start);
      if (end < 0 || end >= filled) {
        if (!last) break;
        end = filled;
      }
      if (skipping) skipping = false;
      else if (end > start) {
        const ok = match(buffer, start, end) ??
          parsesAndMatches(decoder.decode(buffer.subarray(start, end)), query);
        if (ok && ring) ring.push(buffer.slice(start, end));
        else if (ok) {
          out!.set(buffer.subarray(start, end), used);
          used += end - start;
          out![used++] = NEWLINE;
        }
      }
      start = end + 1;
    }
    carry = Math.max(0, filled - start);
    if (carry > MAX_LINE || (skipping && carry === filled && carry > 0)) {
      // A line too long to keep: drop it, and what follows of it up to the next newline.
      carry = 0;
      skipping = true;
    } else if (carry > 0) buffer.copyWithin(0, start, filled);
    if (used > 0) yield out!.subarray(0, used);
    if (last) return;
  }
}

/** Records in batches, oldest first; `close()` releases the files. */
export type RecordBatches = Batches<LogRecord>;

/**
 * Reads the records of `paths` (oldest first) that match `query`, at most the last `tail`.
 * Files that do not exist are skipped.
 */
export function readPersisted(
  paths: readonly string[],
  query: LogQuery,
  tail?: number,
): RecordBatches {
  return parsed(readPersistedNdjson(paths, query, tail));
}

/**
 * Reads the NDJSON lines of `paths` (oldest first) whose records match `query`, at most the last
 * `tail`, as the bytes they are stored as: each item holds whole lines, each ending in a newline.
 * Files that do not exist are skipped.
 */
export function readPersistedNdjson(
  paths: readonly string[],
  query: LogQuery,
  tail?: number,
): Chunks {
  const opened: Opened[] = [];
  for (const path of paths) {
    try {
      const file = Deno.openSync(path, { read: true });
      opened.push({ file, size: file.statSync().size });
    } catch {
      // that generation does not exist
    }
  }
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const { file } of opened) {
      try {
        file.close();
      } catch {
        // already closed
      }
    }
  };
  async function* read(): AsyncGenerator<Uint8Array> {
    try {
      const ring = tail === undefined ? undefined : new LastN<Uint8Array>(tail);
      const buffer = new Uint8Array(CHUNK + MAX_LINE + 1);
      for (const one of opened) {
        if (query.since !== undefined) {
          const last = await lastTime(one);
          if (last !== undefined && last < query.since) continue;
        }
        for await (const chunk of matching(one, buffer, query, ring)) {
          if (closed) return;
          yield chunk;
        }
      }
      if (ring) { for (const lines of ring.drain(1000)) yield joined(lines); }
    } finally {
      close();
    }
  }
  const iterator = read();
  return {
    [Symbol.asyncIterator]: () => iterator,
    close() {
      close();
      iterator.return(undefined).catch(() => {});
    },
  };
}

/** An iterator as Batches: `close` ends it, and runs `release` even if it never started. */
function batches<T>(iterator: AsyncGenerator<T[]>, release?: () => void): Batches<T> {
  return {
    [Symbol.asyncIterator]: () => iterator,
    close() {
      release?.();
      iterator.return(undefined).catch(() => {});
    },
  };
}

/** `records` as chunks of NDJSON bytes, at most `size` records each. */
export function ndjsonOf(records: readonly LogRecord[], size = 1000): Chunks {
  async function* read(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < records.length; i += size) {
      yield encoder.encode(records.slice(i, i + size).map(toNdjson).join("\n") + "\n");
    }
  }
  const iterator = read();
  return {
    [Symbol.asyncIterator]: () => iterator,
    close: () => void iterator.return(undefined).catch(() => {}),
  };
}

/** Chunks of NDJSON bytes back into records (lines that do not parse are left out). */
export function parsed(source: Chunks): Batches<LogRecord> {
  async function* read(): AsyncGenerator<LogRecord[]> {
    const text = new TextDecoder();
    try {
      for await (const chunk of source) {
        yield text.decode(chunk).split("\n").flatMap((line) => {
          if (!line) return [];
          try {
            return [fromNdjson(line)];
          } catch {
            return [];
          }
        });
      }
    } finally {
      source.close();
    }
  }
  return batches(read(), () => source.close());
}
