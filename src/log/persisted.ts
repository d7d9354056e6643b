/**
 * Reading the persisted NDJSON log (its rotated generations, oldest first) with bounded memory:
 * files are read in 64 KiB chunks and split into lines (a line longer than 1 MiB is skipped), a
 * generation whose last record is older than `since` is skipped whole, and `tail` keeps a ring of
 * the last N. The files are opened, and their sizes taken, when the read is created: a rotation
 * or new lines afterwards change nothing of what it returns.
 *
 * @module
 */
import { fromNdjson, type LogQuery, type LogRecord, matchesQuery } from "../domain/log.ts";

/** Records in batches (one per chunk read), oldest first; `close()` releases the files. */
export interface RecordBatches extends AsyncIterable<LogRecord[]> {
  close(): void;
}

const CHUNK = 64 * 1024;
const MAX_LINE = 1 << 20;

interface Opened {
  readonly file: Deno.FsFile;
  readonly size: number;
}

/** A bounded ring of the last `size` records. */
class LastN {
  readonly #items: (LogRecord | undefined)[];
  #next = 0;
  #count = 0;
  constructor(size: number) {
    this.#items = new Array(size);
  }
  push(record: LogRecord): void {
    if (this.#items.length === 0) return;
    this.#items[this.#next] = record;
    this.#next = (this.#next + 1) % this.#items.length;
    this.#count = Math.min(this.#count + 1, this.#items.length);
  }
  *drain(batch: number): Generator<LogRecord[]> {
    const n = this.#items.length;
    const start = (this.#next - this.#count + n) % Math.max(n, 1);
    let out: LogRecord[] = [];
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

/** A cheap test that a line may be of one of `services`, before it is parsed. */
function prefilter(services: readonly string[] | undefined): (line: string) => boolean {
  if (!services?.length) return () => true;
  const needles = services.map((s) => `"service":${JSON.stringify(s)},`);
  return (line) => !line.startsWith('{"ts":"') || needles.some((n) => line.includes(n));
}

/**
 * Reads the records of `paths` (oldest first) that match `query`, at most the last `tail`.
 * Files that do not exist are skipped.
 */
export function readPersisted(
  paths: readonly string[],
  query: LogQuery,
  tail?: number,
): RecordBatches {
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
  const mayMatch = prefilter(query.services);
  async function* read(): AsyncGenerator<LogRecord[]> {
    try {
      const ring = tail === undefined ? undefined : new LastN(tail);
      for (const one of opened) {
        if (query.since !== undefined) {
          const last = await lastTime(one);
          if (last !== undefined && last < query.since) continue;
        }
        for await (const batch of lines(one.file, one.size)) {
          if (closed) return;
          const out: LogRecord[] = [];
          for (const line of batch) {
            if (!line || !mayMatch(line)) continue;
            let record: LogRecord;
            try {
              record = fromNdjson(line);
            } catch {
              continue;
            }
            if (!matchesQuery(record, query)) continue;
            if (ring) ring.push(record);
            else out.push(record);
          }
          if (out.length > 0) yield out;
        }
      }
      if (ring) yield* ring.drain(1000);
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

/** `records` as batches of at most `size`. */
export function inBatches(records: readonly LogRecord[], size = 1000): RecordBatches {
  async function* batches(): AsyncGenerator<LogRecord[]> {
    for (let i = 0; i < records.length; i += size) yield records.slice(i, i + size);
  }
  const iterator = batches();
  return {
    [Symbol.asyncIterator]: () => iterator,
    close: () => void iterator.return(undefined).catch(() => {}),
  };
}
