/**
 * Batches as plain text, a batch at a time: each line's bytes after a prefix (`api | ` for the
 * terminal, nothing for a service's `logFile`), a newline after each. A line that needs cleaning
 * for a terminal (control characters, or characters that might be) goes through `clean` as text.
 *
 * @module
 */
import type { Batch } from "./batch.ts";
import type { ByteBuffer } from "./bytes.ts";
import { CONTROL, NON_ASCII } from "./split.ts";

/**
 * Appends records `from` to `to` of `batch` at level index `min` or above to `out`, each as
 * `prefix`, its text (through `clean` if given and the text may need it) and a newline.
 */
export function appendText(
  batch: Batch,
  out: ByteBuffer,
  options: {
    readonly from?: number;
    readonly to?: number;
    readonly min?: number;
    readonly prefix?: Uint8Array;
    readonly clean?: (text: string) => string;
  } = {},
): void {
  const { from = 0, to = batch.count, min = 0, clean } = options;
  const prefix = options.prefix ?? new Uint8Array(0);
  const lines = batch.lines;
  if (!lines) {
    for (let i = from; i < to; i++) {
      if (batch.levelAt(i) < min) continue;
      out.append(prefix);
      out.appendText(clean ? clean(batch.msg(i)) : batch.msg(i));
      out.append(NEWLINE);
    }
    return;
  }
  const { bytes, starts, ends, flags } = lines;
  const plen = prefix.length;
  let o = out.bytes;
  let at = out.length;
  for (let i = from; i < to; i++) {
    if (min > 0 && batch.levelAt(i) < min) continue;
    const s = starts[i];
    const e = ends[i];
    if (clean && (flags[i] & (CONTROL | NON_ASCII))) {
      out.length = at;
      out.append(prefix);
      out.appendText(clean(batch.msg(i)));
      out.append(NEWLINE);
      o = out.bytes;
      at = out.length;
      continue;
    }
    if (at + plen + e - s + 1 > o.length) {
      out.length = at;
      out.ensure(plen + e - s + 1 + (to - i) * (plen + 16));
      o = out.bytes;
    }
    if (plen < 32) { for (let k = 0; k < plen; k++) o[at++] = prefix[k]; }
    else {
      o.set(prefix, at);
      at += plen;
    }
    if (e - s < 32) { for (let j = s; j < e; j++) o[at++] = bytes[j]; }
    else {
      o.set(bytes.subarray(s, e), at);
      at += e - s;
    }
    o[at++] = 0x0a;
  }
  out.length = at;
}

const NEWLINE = new Uint8Array([0x0a]);
