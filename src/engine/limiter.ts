/**
 * The stack's cap on restarts after crashes: one token bucket shared by every instance, so that a
 * mass crash (a dependency gone, a full disk) brings services back at a bounded rate instead of in
 * a stampede. Only restarts after a crash take a token; the fan-out of `up`, a user's restart,
 * `apply` and `scale` are never held back.
 *
 * @module
 */
import type { Clock } from "./ports.ts";

/** Restarts allowed at once, after a quiet spell. */
export const RESTART_BURST = 5;
/** One more restart is allowed every this many milliseconds (20 a second). */
export const RESTART_EVERY_MS = 50;

/** What an instance's log says when its restart waits for the cap. */
export const RESTART_HELD = `restart held back: the stack restarts at most ${
  1000 / RESTART_EVERY_MS
} crashed instances a second`;

/** Options of a limiter; the defaults are the stack's. */
export interface LimiterOptions {
  /** Tokens the bucket holds (restarts at once). */
  readonly burst?: number;
  /** Milliseconds to earn one token. */
  readonly everyMs?: number;
}

/**
 * A token bucket on a clock. In any window of `w` milliseconds it lets through at most
 * `burst + w / everyMs` calls: with the defaults, 7 in any 100 ms and 20 a second sustained.
 * Waiters are served in the order they asked.
 */
export class RestartLimiter {
  readonly #clock: Clock;
  readonly #burst: number;
  readonly #everyMs: number;
  #tokens: number;
  #at: number;
  readonly #queue: { fn: () => void }[] = [];
  #cancelTimer: (() => void) | undefined;

  constructor(clock: Clock, options: LimiterOptions = {}) {
    this.#clock = clock;
    this.#burst = options.burst ?? RESTART_BURST;
    this.#everyMs = options.everyMs ?? RESTART_EVERY_MS;
    this.#tokens = this.#burst;
    this.#at = clock.now();
  }

  #refill(): void {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) / this.#everyMs);
    this.#at = now;
  }

  /**
   * Calls `fn` once a token is free: at once when one is, else later, in turn.
   *
   * @param onHeld Called (at once) when `fn` has to wait.
   * @returns A function that withdraws the call if it has not happened yet.
   */
  acquire(fn: () => void, onHeld?: () => void): () => void {
    this.#refill();
    if (this.#queue.length === 0 && this.#tokens >= 1) {
      this.#tokens -= 1;
      fn();
      return () => {};
    }
    const entry = { fn };
    this.#queue.push(entry);
    this.#arm();
    onHeld?.();
    return () => {
      const at = this.#queue.indexOf(entry);
      if (at >= 0) this.#queue.splice(at, 1);
      if (this.#queue.length === 0) {
        this.#cancelTimer?.();
        this.#cancelTimer = undefined;
      }
    };
  }

  /**
   * Calls `fn` after `ms`, then once a token is free.
   *
   * @returns A function that cancels whichever is pending.
   */
  after(ms: number, fn: () => void, onHeld?: () => void): () => void {
    let cancel = this.#clock.setTimer(ms, () => {
      cancel = this.acquire(fn, onHeld);
    });
    return () => cancel();
  }

  #arm(): void {
    if (this.#cancelTimer || this.#queue.length === 0) return;
    const wait = Math.max(1, Math.ceil((1 - this.#tokens) * this.#everyMs));
    this.#cancelTimer = this.#clock.setTimer(wait, () => {
      this.#cancelTimer = undefined;
      this.#refill();
      while (this.#queue.length > 0 && this.#tokens >= 1) {
        this.#tokens -= 1;
        this.#queue.shift()!.fn();
      }
      this.#arm();
    });
  }

  /** Drops every waiting call and the timer. */
  close(): void {
    this.#queue.length = 0;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
  }
}
