/**
 * Reading the persisted NDJSON log (its rotated generations, oldest first) with bounded memory:
 * files are read in 64 KiB chunks and split into lines (a line longer than 1 MiB is skipped), a
 * generation whose last record is older than `since` is skipped whole, and `tail` keeps a ring of
 * the last N. Lines come out as they are stored: a query is matched against the fixed prefix that
 * LogHub writes (`{"ts":...,"level":...,`), without parsing the message, so that a query over
 * hundreds of megabytes allocates little more than the text it returns. The files are opened, and
 * their sizes taken, when the read is created: a rotation or new lines afterwards change nothing
 * of what it returns.
 *
 * @module
 */
import {
  atLeast,
  fromNdjson,
  LEVELS,
  type LogQuery,
  type LogRecord,
  matchesQuery,
  toNdjson,
} from "../domain/log.ts";

/** Items in batches, oldest first; `close()` releases what the reading holds (open files). */
export interface Batches<T> extends AsyncIterable<T[]> {
  close(): void;
}

const CHUNK = 64 * 1024;
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

/** The lines of the first `size` bytes of `file`, a chunk's worth at a time. */
async function* lines(file: Deno.FsFile, size: number): AsyncGenerator<string[]> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(CHUNK);
  let left = size;
  let carry = "";
  let skipping = false;
  while (left > 0) {
    const n = await file.read(buffer.subarray(0, Math.min(CHUNK, left)));
    if (n === null || n === 0) break;
    left -= n;
    const text = carry + decoder.decode(buffer.subarray(0, n), { stream: left > 0 });
    const parts = text.split("\n");
    carry = parts.pop() ?? "";
    if (skipping && parts.length > 0) {
      parts.shift();
      skipping = false;
    }
    if (carry.length > MAX_LINE) {
      carry = "";
      skipping = true;
    }
    yield parts;
  }
  if (carry && !skipping) yield [carry];
}

/** The time of the last record of a file, or undefined when it cannot be read. */
async function lastTime({ file, size }: Opened): Promise<number | undefined> {
  if (size === 0) return undefined;
  const from = Math.max(0, size - CHUNK);
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

/**
 * Whether a stored line matches `query`: by its prefix when LogHub wrote it (ISO times in UTC
 * compare as text; nothing is allocated for a line that does not match), else by parsing it
 * whole. Lines that are not records never match.
 */
export function lineMatcher(query: LogQuery): (line: string) => boolean {
  const since = query.since === undefined ? undefined : new Date(query.since).toISOString();
  const services = query.services?.length
    ? query.services.map((s) => `${JSON.stringify(s)},`)
    : undefined;
  const levels = query.minLevel
    ? LEVELS.filter((l) => atLeast(l, query.minLevel!)).map((l) => `"level":"${l}"`)
    : undefined;
  const slow = (line: string) => {
    try {
      return matchesQuery(fromNdjson(line), query);
    } catch {
      return false;
    }
  };
  return (line) => {
    // {"ts":"2026-01-01T00:00:00.000Z","seq":1,"service":"a","replica":0,"stream":"stdout",...
    if (!line.startsWith('{"ts":"') || line.charCodeAt(30) !== 90 /* Z */) return slow(line);
    if (since !== undefined && line.substring(7, 31) < since) return false;
    if (services) {
      const at = line.indexOf('"service":', 31);
      if (at < 0) return slow(line);
      if (!services.some((s) => line.startsWith(s, at + 10))) return false;
    }
    if (levels) {
      const at = line.indexOf('"level":"', 31);
      if (at < 0) return slow(line);
      if (!levels.some((l) => line.startsWith(l, at))) return false;
    }
    return true;
  };
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
  return parsed(readPersistedLines(paths, query, tail));
}

/**
 * Reads the NDJSON lines of `paths` (oldest first) whose records match `query`, at most the last
 * `tail`, as they are stored. Files that do not exist are skipped.
 */
export function readPersistedLines(
  paths: readonly string[],
  query: LogQuery,
  tail?: number,
): Batches<string> {
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
  const matches = lineMatcher(query);
  async function* read(): AsyncGenerator<string[]> {
    try {
      const ring = tail === undefined ? undefined : new LastN<string>(tail);
      for (const one of opened) {
        if (query.since !== undefined) {
          const last = await lastTime(one);
          if (last !== undefined && last < query.since) continue;
        }
        for await (const batch of lines(one.file, one.size)) {
          if (closed) return;
          const out = ring ? undefined : [] as string[];
          for (const line of batch) {
            if (!line || !matches(line)) continue;
            if (ring) ring.push(line);
            else out!.push(line);
          }
          if (out && out.length > 0) yield out;
        }
      }
      if (ring) yield* ring.drain(1000);
    } finally {
      close();
    }
  }
  return batches(read(), close);
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

/** `records` as NDJSON lines, in batches of at most `size`. */
export function linesOf(records: readonly LogRecord[], size = 1000): Batches<string> {
  async function* read(): AsyncGenerator<string[]> {
    for (let i = 0; i < records.length; i += size) {
      yield records.slice(i, i + size).map(toNdjson);
    }
  }
  return batches(read());
}

/** NDJSON lines back into records (lines that do not parse are left out). */
export function parsed(source: Batches<string>): Batches<LogRecord> {
  async function* read(): AsyncGenerator<LogRecord[]> {
    try {
      for await (const batch of source) {
        yield batch.flatMap((line) => {
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
