/**
 * Reading the persisted NDJSON log (`orch.ndjson` and its rotated generations `orch.ndjson.N`)
 * as a stream: line by line, oldest first, in bounded memory whatever the files' size. A line that
 * is not a record (a torn write of an older orch) is skipped.
 *
 * @module
 */
import { fromNdjson, type LogQuery, type LogRecord, matchesQuery } from "../domain/log.ts";

/** The files of a persisted log, oldest first: `path.N` ... `path.1`, then `path`. */
export async function persistedFiles(path: string): Promise<string[]> {
  const at = path.lastIndexOf("/");
  const dir = at < 0 ? "." : path.slice(0, at) || "/";
  const base = path.slice(at + 1);
  const generations: number[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !entry.name.startsWith(`${base}.`)) continue;
      const n = entry.name.slice(base.length + 1);
      if (/^[1-9]\d*$/.test(n)) generations.push(Number(n));
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  generations.sort((a, b) => b - a);
  const files = generations.map((n) => `${path}.${n}`);
  try {
    await Deno.stat(path);
    files.push(path);
  } catch {
    // only rotated generations
  }
  return files;
}

/** The lines of a file, one at a time; a file that is gone (rotated away) yields nothing. */
async function* fileLines(path: string): AsyncGenerator<string> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  const decoder = new TextDecoder();
  let rest = "";
  try {
    for await (const chunk of file.readable) {
      rest += decoder.decode(chunk, { stream: true });
      let start = 0;
      for (;;) {
        const nl = rest.indexOf("\n", start);
        if (nl < 0) break;
        yield rest.slice(start, nl);
        start = nl + 1;
      }
      rest = rest.slice(start);
    }
  } finally {
    try {
      file.close();
    } catch {
      // closed by the stream already
    }
  }
  rest += decoder.decode();
  if (rest) yield rest;
}

/** The records of `files` that pass `query`, oldest first. */
export async function* readRecords(
  files: readonly string[],
  query?: LogQuery,
): AsyncGenerator<LogRecord> {
  for (const file of files) {
    for await (const line of fileLines(file)) {
      if (!line) continue;
      let record: LogRecord;
      try {
        record = fromNdjson(line);
      } catch {
        continue;
      }
      if (typeof record.seq !== "number" || Number.isNaN(record.ts)) continue;
      if (matchesQuery(record, query)) yield record;
    }
  }
}

/** The last `n` records of a stream, oldest first, holding no more than `n` at a time. */
export async function lastRecords(
  records: AsyncIterable<LogRecord>,
  n: number,
): Promise<LogRecord[]> {
  if (n <= 0) return [];
  const ring: LogRecord[] = new Array(n);
  let count = 0;
  for await (const record of records) ring[count++ % n] = record;
  if (count <= n) return ring.slice(0, count);
  const start = count % n;
  return [...ring.slice(start), ...ring.slice(0, start)];
}
