/**
 * Batches as NDJSON bytes, a whole batch at once: the same bytes as {@link toNdjson} gives for each
 * of its records, built from the lines' bytes and a few templates of the batch's source (`{"ts":...,
 * "seq":`, `,"service":...,"level":"info","msg":"`), with the sequence number counted up in place
 * and each line copied, or escaped where it must be.
 *
 * @module
 */
import { LEVELS, type LogRecord, toNdjson } from "../domain/mod.ts";
import { type Batch, LineBatch, type Source } from "./batch.ts";
import type { ByteBuffer } from "./bytes.ts";
import { JSON_ESCAPE } from "./split.ts";

const encoder = new TextEncoder();

/** The parts of a source's records that never change, as bytes. */
interface Templates {
  /** `,"service":"api","replica":0,"stream":"stdout","level":"<level>","msg":"`, by level. */
  readonly middle: readonly Uint8Array[];
  /** The longest of them. */
  readonly longest: number;
  /** `"}` + newline, or with `,"run":N,"task":"..."` first. */
  readonly end: Uint8Array;
}

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

const HEX = encoder.encode("0123456789abcdef");
const SHORT: Record<number, number> = { 8: 0x62, 9: 0x74, 10: 0x6e, 12: 0x66, 13: 0x72 };

let rowBuffer = new Uint8Array(0);

/** Appends `bytes[start, end)` escaped as a JSON string's content (as JSON.stringify does). */
function escapeInto(out: Uint8Array, at: number, bytes: Uint8Array, start: number, end: number) {
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    if (b >= 0x20 && b !== 0x22 && b !== 0x5c) {
      out[at++] = b;
      continue;
    }
    out[at++] = 0x5c;
    if (b === 0x22 || b === 0x5c) out[at++] = b;
    else if (SHORT[b] !== undefined) out[at++] = SHORT[b];
    else {
      out[at++] = 0x75; // u00XX
      out[at++] = 0x30;
      out[at++] = 0x30;
      out[at++] = HEX[b >> 4];
      out[at++] = HEX[b & 15];
    }
  }
  return at;
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
  const { bytes, starts, ends, flags } = lines;
  const { middle, end, longest } = templatesOf(batch.source);
  const head = headOf(batch.ts);
  // The longest a record can be: the templates, 16 digits, the line escaped 6 bytes a byte.
  const fixed = head.length + 16 + longest + end.length;
  let size = 0;
  for (let i = from; i < to; i++) {
    const n = ends[i] - starts[i];
    size += fixed + (flags[i] & JSON_ESCAPE ? n * 6 : n);
  }
  out.ensure(size);
  const o = out.bytes;
  let at = out.length;
  const levels = batch.levels;
  // One row for what precedes the text of a record: the head, the sequence number (counted up in
  // place) and the middle of the current level, copied whole for each record.
  if (rowBuffer.length < head.length + 20 + longest) {
    rowBuffer = new Uint8Array(head.length + 20 + longest);
  }
  const row = rowBuffer;
  row.set(head);
  let width = 0;
  let level = -1;
  let view = row;
  const build = (seq: number, lv: number) => {
    const text = String(seq);
    width = text.length;
    for (let k = 0; k < width; k++) row[head.length + k] = text.charCodeAt(k);
    row.set(middle[lv], head.length + width);
    level = lv;
    view = row.subarray(0, head.length + width + middle[lv].length);
  };
  build(batch.firstSeq + from, levels[from]);
  const digitsEnd = () => head.length + width;
  let last = digitsEnd() - 1;
  const endLength = end.length;
  for (let i = from; i < to; i++) {
    if (levels[i] !== level) {
      build(batch.firstSeq + i, levels[i]);
      last = digitsEnd() - 1;
    }
    o.set(view, at);
    at += view.length;
    const s = starts[i];
    const e = ends[i];
    if (flags[i] & JSON_ESCAPE) at = escapeInto(o, at, bytes, s, e);
    else if (e - s < 32) { for (let j = s; j < e; j++) o[at++] = bytes[j]; }
    else {
      o.set(bytes.subarray(s, e), at);
      at += e - s;
    }
    for (let k = 0; k < endLength; k++) o[at++] = end[k];
    // The next sequence number, in the row.
    let k = last;
    while (row[k] === 0x39 && k >= head.length) row[k--] = 0x30;
    if (k >= head.length) row[k]++;
    else {
      build(batch.firstSeq + i + 1, level);
      last = digitsEnd() - 1;
    }
  }
  out.length = at;
}
