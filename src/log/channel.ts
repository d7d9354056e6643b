/**
 * A bounded channel: `offer` never blocks and never grows past the capacity; a consumer that falls
 * behind loses the oldest items and is told how many, through an item made by `dropped(count)`.
 *
 * @module
 */

/** A subscription: an async iterator of items, closed with `close()`. */
export interface Subscription<T> extends AsyncIterable<T> {
  close(): void;
  /** The same items as arrays of whatever is queued. */
  batches(): AsyncGenerator<T[]>;
}

/** Options of a channel. */
export interface ChannelOptions<T> {
  readonly capacity: number;
  /** Makes the item that tells the consumer `count` items were skipped (or undefined for none). */
  readonly dropped?: (count: number, next: T | undefined) => T | undefined;
  /** Called when the consumer detaches (close, break, or error). */
  readonly onClose?: () => void;
}

/** A bounded single-consumer queue over a ring buffer: offer and take are O(1). */
export class Channel<T> implements Subscription<T> {
  readonly #ring: (T | undefined)[];
  #head = 0;
  #size = 0;
  readonly #options: ChannelOptions<T>;
  #dropped = 0;
  #waiter: (() => void) | undefined;
  #closed = false;

  constructor(options: ChannelOptions<T>) {
    this.#options = options;
    this.#ring = new Array(Math.max(1, options.capacity));
  }

  /** Whether the consumer has gone. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Queues an item, dropping the oldest when full. Never blocks. */
  offer(item: T): void {
    if (this.#closed) return;
    const capacity = this.#ring.length;
    if (this.#size === capacity) {
      // Full: overwrite the oldest.
      this.#ring[this.#head] = item;
      this.#head = (this.#head + 1) % capacity;
      this.#dropped++;
    } else {
      this.#ring[(this.#head + this.#size) % capacity] = item;
      this.#size++;
    }
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter();
    }
  }

  #take(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#ring[this.#head];
    this.#ring[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#ring.length;
    this.#size--;
    return item;
  }

  /**
   * Everything queued, as arrays: one await per batch instead of one per item, for consumers that
   * can take many at once (a terminal writer under a flood). A dropped-items notice comes first in
   * its batch.
   */
  async *batches(): AsyncGenerator<T[]> {
    try {
      while (true) {
        if (this.#size > 0 || this.#dropped > 0) {
          const batch: T[] = [];
          if (this.#dropped > 0) {
            const count = this.#dropped;
            this.#dropped = 0;
            const notice = this.#options.dropped?.(
              count,
              this.#size > 0 ? this.#ring[this.#head] : undefined,
            );
            if (notice !== undefined) batch.push(notice);
          }
          while (this.#size > 0) batch.push(this.#take()!);
          yield batch;
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
    this.#options.onClose?.();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    try {
      while (true) {
        if (this.#dropped > 0) {
          const count = this.#dropped;
          this.#dropped = 0;
          const next = this.#size > 0 ? this.#ring[this.#head] : undefined;
          const notice = this.#options.dropped?.(count, next);
          if (notice !== undefined) yield notice;
        }
        if (this.#size > 0) {
          yield this.#take()!;
          continue;
        }
        if (this.#closed) return;
        await new Promise<void>((resolve) => (this.#waiter = resolve));
      }
    } finally {
      this.close();
    }
  }
}

/** Fans items out to bounded subscribers. */
export class Broadcast<T> {
  // An array, rebuilt on (rare) subscribe and unsubscribe, so that publishing (once per log line)
  // allocates nothing.
  #subscribers: { channel: Channel<T>; accept: (item: T) => boolean }[] = [];

  /** Sends an item to every subscriber that accepts it. */
  publish(item: T): void {
    const list = this.#subscribers;
    for (let i = 0; i < list.length; i++) if (list[i].accept(item)) list[i].channel.offer(item);
  }

  /** A new subscriber. */
  subscribe(
    options: Omit<ChannelOptions<T>, "onClose"> & { accept?: (item: T) => boolean },
  ): Subscription<T> {
    const entry = {
      accept: options.accept ?? (() => true),
      channel: new Channel<T>({
        ...options,
        onClose: () => (this.#subscribers = this.#subscribers.filter((s) => s !== entry)),
      }),
    };
    this.#subscribers = [...this.#subscribers, entry];
    return entry.channel;
  }

  /** Closes every subscription. */
  close(): void {
    for (const s of this.#subscribers) s.channel.close();
  }
}
