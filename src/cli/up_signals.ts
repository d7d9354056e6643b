/**
 * What signals do to `orch up`: SIGINT and SIGTERM stop the stack in order, a second one kills
 * everything at once; SIGHUP (a lost terminal) always stops in order. Copies of one Ctrl-C (the
 * terminal sends it to the whole foreground group, wrappers forward it) count once.
 *
 * @module
 */

/** The signals `orch up` handles itself. */
export const UP_SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** Signals closer together than this count as one. */
const SAME_SIGNAL_MS = 300;

/** What a signal makes `orch up` do. */
export interface SignalActions {
  /** Stops the stack in order, saying why. */
  stop(why: string): void;
  /** Kills every service at once (the second signal). */
  kill(signal: Deno.Signal): void;
  /** The terminal is gone (SIGHUP): stop in order, narrating to the log. */
  hangup(why: string): void;
  /** A signal came: a TUI that holds the final table on screen closes. */
  interrupted(): void;
}

/** Handles `orch up`'s signals while installed; `close` removes the listeners. */
export class UpSignals implements Disposable {
  readonly #actions: SignalActions;
  readonly #handlers: [Deno.Signal, () => void][] = [];
  #count = 0;
  #firstAt = 0;

  constructor(actions: SignalActions) {
    this.#actions = actions;
  }

  /** Listens for the signals (a signal replayed by `handle` before this is handled the same). */
  install(): this {
    for (const signal of UP_SIGNALS) {
      const handler = () => this.handle(signal);
      Deno.addSignalListener(signal, handler);
      this.#handlers.push([signal, handler]);
    }
    return this;
  }

  /** Takes one signal. */
  readonly handle = (signal: Deno.Signal): void => {
    // A lost terminal may send several: SIGHUP stops in order and never kills at once.
    if (signal === "SIGHUP") return this.#actions.hangup("SIGHUP");
    this.#actions.interrupted();
    if (this.#count === 1 && performance.now() - this.#firstAt < SAME_SIGNAL_MS) return;
    if (this.#count === 0) this.#firstAt = performance.now();
    this.#count++;
    if (this.#count === 1) this.#actions.stop(`${signal}: stopping (again to kill at once)`);
    else this.#actions.kill(signal);
  };

  [Symbol.dispose](): void {
    for (const [signal, handler] of this.#handlers) Deno.removeSignalListener(signal, handler);
    this.#handlers.length = 0;
  }
}
