/**
 * orch's event bus, owned by the composition root (`orch up`): the engine, the log hub (its drop
 * notices) and the scheduler of flows publish on it; the printer, the TUI, the API's
 * `/v1/events`, the metrics and the parts of `up` that follow the stack (the init's exit status,
 * the flows' view of the services) read it.
 *
 * Two ways to read: `listen` is called synchronously with every event, in order (for what must
 * miss none and costs little: counters, state); `subscribe` queues for an asynchronous reader,
 * bounded (a reader that falls behind skips ahead and gets a `dropped` notice).
 *
 * @module
 */
import type { OrchEvent } from "../domain/mod.ts";
import { Broadcast, type Subscription } from "../log/mod.ts";

/** Events a subscriber may have queued before it skips ahead. */
const CAPACITY = 10_000;

/** The bus. */
export class EventBus {
  readonly #broadcast = new Broadcast<OrchEvent>();
  #listeners: readonly ((event: OrchEvent) => void)[] = [];
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** Publishes an event: to every listener (in the order they came), then to the subscribers. */
  readonly publish = (event: OrchEvent): void => {
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) listeners[i](event);
    this.#broadcast.publish(event);
  };

  /** Calls `listener` with every event from now on; returns the function that stops it. */
  listen(listener: (event: OrchEvent) => void): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => (this.#listeners = this.#listeners.filter((l) => l !== listener));
  }

  /** Events from now on, through a bounded queue. */
  subscribe(): Subscription<OrchEvent> {
    return this.#broadcast.subscribe({
      capacity: CAPACITY,
      dropped: (count) => ({
        type: "dropped",
        ts: this.#now(),
        of: "events",
        consumer: "events",
        count,
      }),
    });
  }

  /** Ends every subscription (their readers see the end of the stream). */
  close(): void {
    this.#broadcast.close();
  }
}
