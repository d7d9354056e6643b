/**
 * The NDJSON records of a run of lines, built by the log path's WebAssembly module (wasm.ts): the
 * lines, their offsets, flags and levels are copied into the module's memory, the module writes each
 * record from the head (with the sequence number it counts up in place), the line (escaped where it
 * must be) and the end, and the records are copied out. It stops when the level changes or the
 * sequence number needs another digit; a new head is made here and it goes on. A call takes at most
 * {@link PIECE} records, so that the module's memory stays about a megabyte.
 *
 * @module
 */
import type { ByteBuffer } from "./bytes.ts";
import { JSON_ESCAPE, type Lines } from "./split.ts";
import { align4, logWasm, RESERVED } from "./wasm.ts";

/** Records a call at most: with the lines' bytes escaped, about a megabyte of records. */
export const PIECE = 4096;

/** The parts of a source's records that never change, as bytes. */
export interface RecordParts {
  /** `{"ts":"<ISO time>","seq":`. */
  readonly head: Uint8Array;
  /** `,"service":...,"level":"<level>","msg":"`, by level index. */
  readonly middle: readonly Uint8Array[];
  /** The longest of them. */
  readonly longest: number;
  /** `"}` and a newline, or with `,"run":N,"task":"..."` first. */
  readonly end: Uint8Array;
}

/**
 * Appends to `out` the records of `lines` `from` to `to`, the first with sequence number
 * `firstSeq`, each at the level `levels` gives it: at most {@link PIECE} records a call.
 */
export function encodeLines(
  lines: Lines,
  levels: Uint8Array,
  firstSeq: number,
  from: number,
  to: number,
  parts: RecordParts,
  out: ByteBuffer,
): void {
  const { head, middle, longest, end } = parts;
  for (let lo = from; lo < to; lo += PIECE) {
    const hi = Math.min(to, lo + PIECE);
    const n = hi - lo;
    const base = lines.starts[lo];
    const span = lines.ends[hi - 1] - base;
    // The head (20 digits at most), the end, the offsets (32-bit, aligned), levels, flags, the
    // lines' bytes, then the records: each at most its head, its line escaped (6 bytes a byte) and
    // its end.
    const row = RESERVED;
    const endAt = row + head.length + 20 + longest;
    const starts = align4(endAt + end.length);
    const ends = starts + 4 * n;
    const levelsAt = ends + 4 * n;
    const flagsAt = levelsAt + n;
    const input = flagsAt + n;
    const output = input + span;
    // The module's short copies write up to 7 bytes past what they copy.
    const size = output + n * (head.length + 20 + longest + end.length) +
      (lines.all & JSON_ESCAPE ? 6 * span : span) + 8;
    const x = logWasm(size);
    const buffer = x.memory.buffer;
    const m = new Uint8Array(buffer);
    m.set(end, endAt);
    new Int32Array(buffer, starts, n).set(lines.starts.subarray(lo, hi));
    new Int32Array(buffer, ends, n).set(lines.ends.subarray(lo, hi));
    m.set(levels.subarray(lo, hi), levelsAt);
    m.set(lines.flags.subarray(lo, hi), flagsAt);
    m.set(lines.bytes.subarray(base, base + span), input);
    m.set(head, row);
    const first = row + head.length;
    let at = output;
    for (let i = 0; i < n;) {
      const digits = String(firstSeq + (lo - from) + i);
      for (let k = 0; k < digits.length; k++) m[first + k] = digits.charCodeAt(k);
      const level = levels[lo + i];
      const mid = middle[level];
      m.set(mid, first + digits.length);
      i += x.encode(
        n - i,
        row,
        head.length + digits.length + mid.length,
        first,
        first + digits.length - 1,
        level,
        levelsAt + i,
        flagsAt + i,
        starts + 4 * i,
        ends + 4 * i,
        // The offsets are the chunk's: its bytes from `base` are at `input`.
        input - base,
        endAt,
        end.length,
        at,
      );
      at = x.at.value;
    }
    out.append(m.subarray(output, at));
  }
}
