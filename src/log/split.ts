/**
 * Whole lines from a byte stream, a chunk at a time and without a string per line: each chunk's
 * complete lines are copied once into a {@link Lines} (their bytes, where each starts and ends, and
 * what they hold: bytes JSON must escape, control characters, non-ASCII, `=`, whether it may show a
 * level), found by the log path's WebAssembly module (wasm.ts); the part after the last newline is
 * carried to the next chunk. A trailing `\r` is dropped, a line longer than
 * `maxLine` bytes is cut into pieces (at a character boundary), a UTF-8 BOM opening the stream is
 * dropped, invalid UTF-8 is replaced by U+FFFD as `TextDecoder` does, and the last line is kept
 * until the stream ends, newline or not.
 *
 * @module
 */

import { align4, logWasm, RESERVED } from "./wasm.ts";

/** Default longest line, in bytes. */
export const MAX_LINE = 16 * 1024;

/** A byte JSON must escape: a control character, `"` or `\`. */
export const JSON_ESCAPE = 1;
/** A control character a terminal must not see (C0 but tab, DEL). */
export const CONTROL = 2;
/** A byte of a multi-byte character. */
export const NON_ASCII = 4;
/** An `=` (a logfmt `level=` may follow). */
export const EQUALS = 8;
const NEWLINE = 16;
/** A carriage return: a control character unless it is the one before the newline. */
const CR = 32;
/**
 * The line may show a level (level.ts's `mayShowLevel`); when clear, `detectLevel` finds none in
 * it. The module works it out for the lines it splits; other lines have it (they are looked at).
 */
export const MAY_LEVEL = 64;
/** The line is not well-formed UTF-8 (it is repaired before anyone sees it). */
const INVALID = 128;

/** What each byte is, as the flags above (log.wat has the same table). */
export const CLASS = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) CLASS[b] = JSON_ESCAPE | CONTROL;
CLASS[0x09] = JSON_ESCAPE;
CLASS[0x0a] = NEWLINE;
CLASS[0x0d] = CR;
CLASS[0x22] = JSON_ESCAPE;
CLASS[0x5c] = JSON_ESCAPE;
CLASS[0x3d] = EQUALS;
CLASS[0x7f] = CONTROL;
for (let b = 0x80; b < 0x100; b++) CLASS[b] = NON_ASCII;

/** Lines of one chunk: line `i` is `bytes[starts[i], ends[i])`, valid UTF-8 without its newline. */
export interface Lines {
  readonly bytes: Uint8Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** Per line, the flags of its bytes ({@link JSON_ESCAPE}, {@link CONTROL}, ...). */
  readonly flags: Uint8Array;
  readonly count: number;
  /** The flags of every line together. */
  readonly all: number;
}

/** The flags of `bytes[start, end)`, {@link MAY_LEVEL} with them. */
export function flagsOf(bytes: Uint8Array, start: number, end: number): number {
  let f = MAY_LEVEL;
  for (let i = start; i < end; i++) f |= CLASS[bytes[i]];
  if (f & NON_ASCII && !validUtf8(bytes, start, end)) f |= INVALID;
  return withoutCr(f & ~NEWLINE, f & CR ? 1 : 0);
}

/** Flags with carriage returns counted as the control characters they are (`crs` of them). */
function withoutCr(f: number, crs: number): number {
  return crs > 0 ? (f & ~CR) | JSON_ESCAPE | CONTROL : f & ~CR;
}

/** Whether `bytes[start, end)` is well-formed UTF-8. */
export function validUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f; // no surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f; // nothing past U+10FFFF
    } else return false;
    if (i + need >= end) return false;
    const second = bytes[i + 1];
    if (second < lo || second > hi) return false;
    for (let k = 2; k <= need; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return false;
    i += need + 1;
  }
  return true;
}

/** Where to cut a piece of at most `max` bytes off `bytes[start, end)`: never inside a character. */
function cutAt(bytes: Uint8Array, start: number, end: number, max: number): number {
  if (end - start <= max) return end;
  let cut = start + max;
  // Back off continuation bytes (10xxxxxx), at most 3: invalid text is cut where it is.
  for (let k = 0; k < 3 && cut > start + 1 && (bytes[cut] & 0xc0) === 0x80; k++) cut--;
  return (bytes[cut] & 0xc0) === 0x80 ? start + max : cut;
}

// A BOM inside the stream is text: only the one opening it is dropped (by the splitter).
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const encoder = new TextEncoder();

/** `lines` with every line that is not valid UTF-8 replaced as `TextDecoder` decodes it. */
function repaired(lines: Lines): Lines {
  const { bytes, starts, ends, count } = lines;
  const parts: Uint8Array[] = [];
  let size = 0;
  for (let i = 0; i < count; i++) {
    const raw = bytes.subarray(starts[i], ends[i]);
    const part = lines.flags[i] & INVALID ? encoder.encode(decoder.decode(raw)) : raw;
    parts.push(part);
    size += part.length;
  }
  const out = new Uint8Array(size);
  const newStarts = new Int32Array(count);
  const newEnds = new Int32Array(count);
  const flags = new Uint8Array(count);
  let at = 0;
  let all = 0;
  for (let i = 0; i < count; i++) {
    out.set(parts[i], at);
    newStarts[i] = at;
    at += parts[i].length;
    newEnds[i] = at;
    flags[i] = flagsOf(out, newStarts[i], at);
    all |= flags[i];
  }
  return { bytes: out, starts: newStarts, ends: newEnds, flags, count, all };
}

/** At most this many bytes go to the module at once (its memory needs ten times as much). */
const WINDOW = 64 * 1024;

/**
 * The lines of `bytes[0, stop)` (`stop` follows a newline) into `table`, found by the module a
 * window at a time; each line longer than `max` bytes goes to `long` (with its newline's offset).
 */
function scan(
  bytes: Uint8Array,
  stop: number,
  max: number,
  table: Table,
  long: (start: number, newline: number) => void,
): void {
  let pos = 0;
  while (pos < stop) {
    let to = Math.min(stop, pos + WINDOW);
    if (to < stop) to = bytes.lastIndexOf(0x0a, to - 1) + 1;
    if (to <= pos) {
      // No newline in a window: a line longer than it.
      const newline = bytes.indexOf(0x0a, pos);
      long(pos, newline);
      pos = newline + 1;
      continue;
    }
    // The bytes, then for each line (at most one a byte) its start, end and flags.
    const n = to - pos;
    const input = RESERVED;
    const starts = align4(input + n);
    const ends = starts + 4 * n;
    const flags = ends + 4 * n;
    const x = logWasm(flags + n);
    const buffer = x.memory.buffer;
    new Uint8Array(buffer).set(bytes.subarray(pos, to), input);
    let from = 0;
    while (from < n) {
      // Offsets from `input - pos`: the chunk's own.
      const count = x.split(input, from, n, max, input - pos, starts, ends, flags);
      table.append(buffer, starts, ends, flags, count, x.all.value);
      from = x.at.value;
      if (from < n) {
        const newline = bytes.indexOf(0x0a, pos + from);
        long(pos + from, newline);
        from = newline + 1 - pos;
      }
    }
    pos = to;
  }
}

/** Where lines start and end, and their flags, in arrays grown by doubling. */
class Table {
  starts: Int32Array;
  ends: Int32Array;
  flags: Uint8Array;
  count = 0;
  all = 0;

  constructor(capacity: number) {
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
    this.flags = new Uint8Array(capacity);
  }

  add(start: number, end: number, flags: number): void {
    const n = this.count;
    if (n === this.starts.length) this.#grow();
    this.starts[n] = start;
    this.ends[n] = end;
    this.flags[n] = flags;
    this.all |= flags;
    this.count = n + 1;
  }

  /** `count` lines the module found: their starts, ends and flags at those offsets of `buffer`. */
  append(
    buffer: ArrayBufferLike,
    starts: number,
    ends: number,
    flags: number,
    count: number,
    all: number,
  ): void {
    while (this.count + count > this.starts.length) this.#grow();
    this.starts.set(new Int32Array(buffer, starts, count), this.count);
    this.ends.set(new Int32Array(buffer, ends, count), this.count);
    this.flags.set(new Uint8Array(buffer, flags, count), this.count);
    this.all |= all;
    this.count += count;
  }

  #grow(): void {
    const size = this.starts.length * 2;
    const starts = new Int32Array(size);
    starts.set(this.starts);
    this.starts = starts;
    const ends = new Int32Array(size);
    ends.set(this.ends);
    this.ends = ends;
    const flags = new Uint8Array(size);
    flags.set(this.flags);
    this.flags = flags;
  }
}

/** Splits a stream of chunks into {@link Lines}. */
export class LineSplitter {
  readonly #max: number;
  #carry = new Uint8Array(0);
  #carried = 0;
  #first = true;

  constructor(maxLine = MAX_LINE) {
    this.#max = Math.max(4, maxLine);
  }

  /** The complete lines `chunk` ends (the chunk may be reused by the caller afterwards). */
  push(chunk: Uint8Array): Lines | undefined {
    if (this.#first && chunk.length > 0) {
      this.#first = false;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
    }
    const last = chunk.lastIndexOf(0x0a);
    if (last < 0) {
      this.#keep(chunk);
      return this.#carried > this.#max ? this.#overflow() : undefined;
    }
    // One copy: what was carried, then the chunk up to its last newline.
    const bytes = new Uint8Array(this.#carried + last + 1);
    bytes.set(this.#carry.subarray(0, this.#carried));
    bytes.set(chunk.subarray(0, last + 1), this.#carried);
    this.#carried = 0;
    this.#keep(chunk.subarray(last + 1));
    return this.#split(bytes, bytes.length, false);
  }

  /** The last line, when the stream ended without a newline after it. */
  end(): Lines | undefined {
    if (this.#carried === 0) return undefined;
    const bytes = this.#carry.slice(0, this.#carried);
    this.#carried = 0;
    this.#carry = new Uint8Array(0);
    return this.#split(bytes, bytes.length, true);
  }

  #keep(rest: Uint8Array): void {
    if (rest.length === 0) return;
    if (this.#carried + rest.length > this.#carry.length) {
      const grown = new Uint8Array(Math.max(256, (this.#carried + rest.length) * 2));
      grown.set(this.#carry.subarray(0, this.#carried));
      this.#carry = grown;
    }
    this.#carry.set(rest, this.#carried);
    this.#carried += rest.length;
  }

  /** A carried line grown past the longest: its whole pieces go out now, the rest stays. */
  #overflow(): Lines | undefined {
    const carry = this.#carry;
    let start = 0;
    while (this.#carried - start > this.#max) start = cutAt(carry, start, this.#carried, this.#max);
    const bytes = carry.slice(0, start);
    carry.copyWithin(0, start, this.#carried);
    this.#carried -= start;
    if (this.#carry.length > 4 * this.#max) this.#carry = this.#carry.slice(0, this.#max * 2);
    return this.#split(bytes, bytes.length, true, true);
  }

  /**
   * The lines of `bytes[0, end)`: each ends at a newline, or (`tail`) the last one at `end`;
   * `pieces` cuts at most-`max` pieces without looking for newlines (there are none).
   */
  #split(bytes: Uint8Array, end: number, tail: boolean, pieces = false): Lines | undefined {
    const max = this.#max;
    const table = new Table(Math.max(64, end >> 3));
    // A line of at most `max` bytes with its flags; a longer one in pieces, each with its own.
    const line = (s: number, e: number) => {
      if (e - s <= max) return table.add(s, e, s === e ? 0 : flagsOf(bytes, s, e));
      while (s < e) {
        const cut = cutAt(bytes, s, e, max);
        table.add(s, cut, flagsOf(bytes, s, cut));
        s = cut;
      }
    };
    if (pieces) line(0, end);
    else {
      const stop = bytes[end - 1] === 0x0a ? end : bytes.lastIndexOf(0x0a, end - 1) + 1;
      scan(bytes, stop, max, table, (start, newline) => {
        // The carriage return before the newline goes.
        const e = newline > start && bytes[newline - 1] === 0x0d ? newline - 1 : newline;
        line(start, e);
      });
      const start = stop;
      if (tail && start < end) {
        let e = end;
        if (bytes[e - 1] === 0x0d) e--;
        line(start, e);
      }
    }
    const { count, all } = table;
    const { starts, ends, flags } = table;
    if (count === 0) return undefined;
    const lines: Lines = {
      bytes,
      starts: starts.subarray(0, count),
      ends: ends.subarray(0, count),
      flags: flags.subarray(0, count),
      count,
      all,
    };
    return all & INVALID ? repaired(lines) : lines;
  }
}
