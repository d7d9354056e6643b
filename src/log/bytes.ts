/**
 * A growable byte buffer: what the log path builds its output in (NDJSON records, terminal text,
 * plain log lines) before one large write.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Bytes appended at the end, the backing array grown by doubling. */
export class ByteBuffer {
  /** The backing array; only `bytes[0, length)` is content. Replaced when it grows. */
  bytes: Uint8Array;
  /** How many bytes are content. */
  length = 0;
  readonly #initial: number;

  constructor(initial = 4096) {
    this.#initial = initial;
    this.bytes = new Uint8Array(initial);
  }

  /** Makes room for `extra` more bytes. */
  ensure(extra: number): void {
    const need = this.length + extra;
    if (need <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < need) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  /** Appends bytes. */
  append(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** Appends text as UTF-8. */
  appendText(text: string): void {
    // At most 3 bytes a UTF-16 unit.
    this.ensure(text.length * 3);
    this.length += encoder.encodeInto(text, this.bytes.subarray(this.length)).written;
  }

  /** The content (a view: valid until the next change). */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  /** Empties it; a backing array grown past `keep` bytes is let go. */
  clear(keep = 1 << 16): void {
    this.length = 0;
    if (this.bytes.length > keep) this.bytes = new Uint8Array(this.#initial);
  }
}
