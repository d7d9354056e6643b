/**
 * Batches as NDJSON bytes, a whole batch at once: the same bytes as {@link toNdjson} gives for each
 * of its records. A batch of lines is built by a WebAssembly module (ndjson_wasm.ts) from the lines'
 * bytes and a few templates of the batch's source (`{"ts":...,"seq":`, `,"service":...,"level":
 * "info","msg":"`, the end); other batches, and those read at a level or above, record by record.
 *
 * @module
 */
import { LEVELS, type LogRecord, toNdjson } from "../domain/mod.ts";
import { type Batch, LineBatch, type Source } from "./batch.ts";
import type { ByteBuffer } from "./bytes.ts";
import { encodeLines, type RecordParts } from "./ndjson_wasm.ts";

const encoder = new TextEncoder();

type Templates = Omit<RecordParts, "head">;

const templates = new WeakMap<Source, Templates>();

function templatesOf(source: Source): Templates {
  let t = templates.get(source);
  if (t) return t;
  // The record toNdjson would write, cut around its level and message.
  const sample = (level: number) =>
    toNdjson({
      ts: 0,
      seq: 0,
      service: source.service,
      replica: source.replica,
      stream: source.stream,
      level: LEVELS[level],
      msg: "",
      ...(source.run !== undefined ? { run: source.run, task: source.task } : {}),
    } as LogRecord);
  const middle = LEVELS.map((_, level) => {
    const text = sample(level);
    const from = text.indexOf(',"service":');
    return encoder.encode(text.slice(from, text.indexOf('"msg":"', from) + 7));
  });
  const text = sample(0);
  const end = encoder.encode(`${text.slice(text.indexOf('"msg":"') + 7)}\n`);
  t = { middle, end, longest: Math.max(...middle.map((m) => m.length)) };
  templates.set(source, t);
  return t;
}

let headTs = NaN;
let headIso = new Uint8Array(0);
/** `{"ts":"<ISO time>","seq":` for a time (the last one is kept: a flood shares it). */
function headOf(ts: number): Uint8Array {
  if (ts !== headTs) {
    headTs = ts;
    headIso = encoder.encode(`{"ts":"${new Date(ts).toISOString()}","seq":`);
  }
  return headIso;
}

/**
 * Appends the batch's records `from` to `to` (all by default) at level index `min` or above to
 * `out` as NDJSON, one line each.
 */
export function encodeBatch(
  batch: Batch,
  out: ByteBuffer,
  from = 0,
  to = batch.count,
  min = 0,
): void {
  const lines = batch.lines;
  if (!lines || !(batch instanceof LineBatch) || min > 0) {
    for (let i = from; i < to; i++) {
      if (batch.levelAt(i) >= min) out.appendText(`${toNdjson(batch.record(i))}\n`);
    }
    return;
  }
  const { middle, end, longest } = templatesOf(batch.source);
  const parts = { head: headOf(batch.ts), middle, end, longest };
  encodeLines(lines, batch.levels, batch.firstSeq + from, from, to, parts, out);
}
