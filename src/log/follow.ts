/**
 * Following the log: each subscriber has a bounded queue of batch slices (a batch of a thousand
 * lines is one entry, its records made only when the subscriber reads them). Offering never
 * blocks: a subscriber that falls behind loses its oldest records and is told how many, by a
 * record `dropped(count, next)` makes, before the records that follow.
 *
 * @module
 */
import type { LogQuery, LogRecord } from "../domain/mod.ts";
import { type Batch, LEVEL_INDEX, RecordBatch } from "./batch.ts";
import type { Subscription } from "./channel.ts";

/** Records `from` to `to` (exclusive) of a batch, those at level index `min` or above. */
export interface Slice {
  readonly batch: Batch;
  readonly from: number;
  readonly to: number;
  readonly min: number;
}

/** A subscription: records one by one, in arrays, or as the batch slices they are kept in. */
export interface LogSubscription extends Subscription<LogRecord> {
  /** Everything queued, as slices (a dropped-records notice is a slice of one record). */
  slices(): AsyncGenerator<Slice[]>;
}

/** Whether a batch's records may match `query` (all but the level, which is per record). */
function batchMatches(batch: Batch, query: LogQuery | undefined): boolean {
  if (!query) return true;
  const s = batch.source;
  if (query.services?.length && !query.services.includes(s.service)) return false;
  if (query.since !== undefined && batch.ts < query.since) return false;
  if (query.run !== undefined && s.run !== query.run) return false;
  if (query.task !== undefined && s.task !== query.task) return false;
  return true;
}

interface Entry {
  batch: Batch;
  from: number;
  to: number;
  min: number;
  /** Records of `from` to `to` at `min` or above. */
  count: number;
}

/** How a follower is made. */
export interface FollowOptions {
  readonly capacity: number;
  readonly filter?: LogQuery;
  /** The record telling that `count` records were skipped, `next` (if any) the one after them. */
  readonly dropped: (count: number, next: LogRecord | undefined) => LogRecord;
}

class Follower implements LogSubscription {
  readonly #options: FollowOptions;
  readonly #min: number;
  readonly #onClose: () => void;
  #queue: Entry[] = [];
  #head = 0;
  #queued = 0;
  #dropped = 0;
  #waiter: (() => void) | undefined;
  #closed = false;

  constructor(options: FollowOptions, onClose: () => void) {
    this.#options = options;
    this.#min = options.filter?.minLevel ? LEVEL_INDEX[options.filter.minLevel] : 0;
    this.#onClose = onClose;
  }

  get closed(): boolean {
    return this.#closed;
  }

  offer(batch: Batch): void {
    if (this.#closed || !batchMatches(batch, this.#options.filter)) return;
    const min = this.#min;
    let count = batch.count;
    if (min > 0) {
      count = 0;
      for (let i = 0; i < batch.count; i++) if (batch.levelAt(i) >= min) count++;
      if (count === 0) return;
    }
    this.#queue.push({ batch, from: 0, to: batch.count, min, count });
    this.#queued += count;
    if (this.#queued > this.#options.capacity) this.#drop(this.#queued - this.#options.capacity);
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter();
    }
  }

  /** Drops the oldest `over` queued records. */
  #drop(over: number): void {
    this.#dropped += over;
    this.#queued -= over;
    while (over > 0) {
      const oldest = this.#queue[this.#head];
      if (oldest.count <= over) {
        over -= oldest.count;
        this.#queue[this.#head++] = undefined as unknown as Entry;
        continue;
      }
      oldest.count -= over;
      if (oldest.min === 0) oldest.from += over;
      else {
        while (over > 0) if (oldest.batch.levelAt(oldest.from++) >= oldest.min) over--;
      }
      over = 0;
    }
    if (this.#head > 64 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The first record queued, if any. */
  #next(): LogRecord | undefined {
    const entry = this.#queue[this.#head];
    if (!entry) return undefined;
    let i = entry.from;
    while (entry.batch.levelAt(i) < entry.min) i++;
    return entry.batch.record(i);
  }

  /** Takes everything queued, a dropped notice first. */
  #takeAll(): Slice[] {
    const out: Slice[] = [];
    if (this.#dropped > 0) {
      const count = this.#dropped;
      this.#dropped = 0;
      out.push({
        batch: new RecordBatch(this.#options.dropped(count, this.#next())),
        from: 0,
        to: 1,
        min: 0,
      });
    }
    for (let i = this.#head; i < this.#queue.length; i++) out.push(this.#queue[i]);
    this.#queue = [];
    this.#head = 0;
    this.#queued = 0;
    return out;
  }

  async *slices(): AsyncGenerator<Slice[]> {
    try {
      while (true) {
        if (this.#queued > 0 || this.#dropped > 0) {
          yield this.#takeAll();
          continue;
        }
        if (this.#closed) return;
        await new Promise<void>((resolve) => (this.#waiter = resolve));
      }
    } finally {
      this.close();
    }
  }

  async *batches(): AsyncGenerator<LogRecord[]> {
    for await (const slices of this.slices()) yield recordsOf(slices);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<LogRecord> {
    // One slice at a time, so that records dropped while the consumer works are not made.
    try {
      while (true) {
        if (this.#dropped > 0) {
          const count = this.#dropped;
          this.#dropped = 0;
          yield this.#options.dropped(count, this.#next());
          continue;
        }
        const entry = this.#queue[this.#head];
        if (entry) {
          const { batch, to, min } = entry;
          const at = entry.from;
          entry.from++;
          if (batch.levelAt(at) < min) {
            if (entry.from >= to) this.#queue[this.#head++] = undefined as unknown as Entry;
            continue;
          }
          entry.count--;
          this.#queued--;
          if (entry.count === 0) this.#queue[this.#head++] = undefined as unknown as Entry;
          yield batch.record(at);
          continue;
        }
        if (this.#closed) return;
        await new Promise<void>((resolve) => (this.#waiter = resolve));
      }
    } finally {
      this.close();
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }
}

/** The records of slices, in order. */
export function recordsOf(slices: readonly Slice[]): LogRecord[] {
  const out: LogRecord[] = [];
  for (const { batch, from, to, min } of slices) {
    for (let i = from; i < to; i++) if (batch.levelAt(i) >= min) out.push(batch.record(i));
  }
  return out;
}

/** Fans batches out to followers. */
export class Followers {
  // Rebuilt on (rare) subscribe and unsubscribe, so that publishing allocates nothing.
  #list: Follower[] = [];

  /** Whether anybody follows. */
  get size(): number {
    return this.#list.length;
  }

  /** Offers a batch to every follower. */
  publish(batch: Batch): void {
    const list = this.#list;
    for (let i = 0; i < list.length; i++) list[i].offer(batch);
  }

  /** A new follower. */
  subscribe(options: FollowOptions): LogSubscription {
    const follower: Follower = new Follower(
      options,
      () => (this.#list = this.#list.filter((f) => f !== follower)),
    );
    this.#list = [...this.#list, follower];
    return follower;
  }

  /** Closes every follower. */
  close(): void {
    for (const f of this.#list) f.close();
  }
}
