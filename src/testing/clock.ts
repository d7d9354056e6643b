/**
 * A clock that moves only when a test says so. Timers fire in time order as `advance` passes them.
 *
 * @module
 */
import type { Clock } from "../engine/mod.ts";

interface Timer {
  readonly at: number;
  readonly ms: number;
  readonly fn: () => void;
  readonly id: number;
}

/** A fake clock: `now()` starts at `start`, timers run from `advance()`. */
export class FakeClock implements Clock {
  #now: number;
  #timers: Timer[] = [];
  #nextId = 0;
  /** Every delay ever asked for, in order (cancelled ones included). */
  readonly requested: number[] = [];

  constructor(start = 1_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.#now + Math.max(0, ms), ms, fn, id: this.#nextId++ };
    this.requested.push(ms);
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  /** Delays of the timers still pending, soonest first. */
  pending(): number[] {
    return this.#timers.map((t) => t.at - this.#now).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, running every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= end)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = due.at;
      due.fn();
    }
    this.#now = end;
  }
}
