/**
 * The last N records of a service, kept as the batches they came in (a slice of each): pushing a
 * batch of a thousand lines costs one entry, and records are made only when they are read.
 *
 * @module
 */
import type { LogRecord } from "../domain/mod.ts";
import type { Batch } from "./batch.ts";

/** Records `from` to `to` (exclusive) of a batch. */
interface Segment {
  readonly batch: Batch;
  from: number;
  readonly to: number;
}

/** A bounded ring of records, held as batch segments. */
export class BatchRing {
  readonly #size: number;
  #segments: Segment[] = [];
  #head = 0;
  #count = 0;
  /** Whether older records have been pushed out. */
  evicted = false;

  constructor(size: number) {
    this.#size = Math.max(0, size);
  }

  /** How many records it holds. */
  get count(): number {
    return this.#count;
  }

  /** Adds the batch's records, dropping the oldest past the size. */
  push(batch: Batch): void {
    if (this.#size === 0) {
      this.evicted = true;
      return;
    }
    const from = Math.max(0, batch.count - this.#size);
    if (from > 0) this.evicted = true;
    this.#segments.push({ batch, from, to: batch.count });
    this.#count += batch.count - from;
    while (this.#count > this.#size) {
      const oldest = this.#segments[this.#head];
      const over = this.#count - this.#size;
      const held = oldest.to - oldest.from;
      this.evicted = true;
      if (held <= over) {
        this.#count -= held;
        this.#segments[this.#head++] = undefined as unknown as Segment;
      } else {
        oldest.from += over;
        this.#count -= over;
      }
    }
    if (this.#head > 64 && this.#head * 2 > this.#segments.length) {
      this.#segments = this.#segments.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The records, oldest first. */
  records(): LogRecord[] {
    const out: LogRecord[] = [];
    for (let s = this.#head; s < this.#segments.length; s++) {
      const { batch, from, to } = this.#segments[s];
      for (let i = from; i < to; i++) out.push(batch.record(i));
    }
    return out;
  }

  /** The last `n` records, oldest first. */
  last(n: number): LogRecord[] {
    const out: LogRecord[] = [];
    for (let s = this.#segments.length - 1; s >= this.#head && out.length < n; s--) {
      const { batch, from, to } = this.#segments[s];
      for (let i = to - 1; i >= from && out.length < n; i--) out.push(batch.record(i));
    }
    return out.reverse();
  }
}
