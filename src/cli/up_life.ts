/**
 * The life of one `orch up` run: how it is asked to stop (a signal, the TUI, `orch down`, a lost
 * terminal), the ordered shutdown that follows (flows first, then the services), the kill at once,
 * and what the exit status needs to know of it.
 *
 * @module
 */
import { formatDuration } from "../domain/mod.ts";
import type { Engine } from "../engine/mod.ts";
import type { Scheduler } from "../schedule/mod.ts";
import type { UpInit } from "./init.ts";
import type { Narrator, NoteSink } from "./narrator.ts";
import type { SignalActions } from "./up_signals.ts";

/** The parts a run stops. */
export interface LifeParts {
  readonly engine: Engine;
  readonly scheduler?: Scheduler;
  readonly narrator: Narrator;
  readonly init: UpInit;
  /** Where the narration goes once the terminal is gone. */
  readonly log: NoteSink;
}

/** How the run is stopped, and what it knows about that. */
export class UpLife implements SignalActions {
  readonly #parts: LifeParts;
  #stopping = false;
  /** The stack was stopped on request (a signal, the TUI, `orch down`), not by itself. */
  stoppedOnRequest = false;
  /** The terminal is gone: nothing is drawn or printed on it any more. */
  terminalGone = false;
  /** Set when the stack ended by itself: the TUI then holds the final table until a key. */
  endedByItself: string | undefined;
  /** Closes a TUI that holds the final table on screen. */
  readonly closeTui = new AbortController();

  constructor(parts: LifeParts) {
    this.#parts = parts;
  }

  /** Stops the stack in order (once): flows first (their tasks may need services), then it. */
  readonly stop = (why: string, timeoutMs?: number): void => {
    this.stoppedOnRequest = true;
    const { engine, scheduler, narrator } = this.#parts;
    if (this.#stopping || engine.stopping) return;
    this.#stopping = true;
    narrator.say(why);
    void (scheduler?.stop() ?? Promise.resolve()).then(() =>
      engine.shutdown({ onWait: narrator.say, timeoutMs })
    );
  };

  /** `orch down` (the API's shutdown): stops in order, under `timeoutMs` if given. */
  readonly requested = (timeoutMs?: number): void => {
    const timeout = timeoutMs !== undefined ? ` (timeout ${formatDuration(timeoutMs)})` : "";
    this.stop(`shutdown requested${timeout}`, timeoutMs);
  };

  /** The terminal is gone: the narration goes to the log, the TUI closes, the stack stops. */
  readonly hangup = (why: string): void => {
    this.terminalGone = true;
    this.#parts.narrator.toLog(this.#parts.log);
    this.closeTui.abort();
    this.stop(`${why}: stopping`);
  };

  /** Kills every service at once (a second signal). */
  readonly kill = (signal: Deno.Signal): void => {
    this.stoppedOnRequest = true;
    this.#parts.narrator.say(`${signal}: killing every service now`);
    this.#parts.init.killedBy = signal;
    this.#parts.engine.kill();
  };

  /** A signal came: the TUI shows the shutdown and closes with it; one holding the table closes. */
  readonly interrupted = (): void => {
    if (this.endedByItself !== undefined) this.closeTui.abort();
  };
}
