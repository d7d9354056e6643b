/**
 * orch's own voice in `orch up` and `orch run`: its notes and the events of the bus, as lines on
 * the terminal (among the services' output), or, while the TUI owns the terminal (or the terminal
 * is gone), as records of the log, where the TUI's log pane and the persisted log show them.
 *
 * @module
 */
import type { Level, OrchEvent } from "../domain/mod.ts";
import type { AsyncWriter, LinePrinter } from "./printer.ts";

/** Where notes go when not to the terminal: the log hub. */
export interface NoteSink {
  note(service: string, replica: number, msg: string, level?: Level): unknown;
}

/** Says orch's notes and events, to the terminal or to the log. */
export class Narrator {
  readonly #printer: LinePrinter;
  readonly #out: AsyncWriter;
  readonly #multi: (service: string) => boolean;
  #log: NoteSink | undefined;

  /** `multi` says whether a service has replicas (its lines then name the replica). */
  constructor(printer: LinePrinter, out: AsyncWriter, multi: (service: string) => boolean) {
    this.#printer = printer;
    this.#out = out;
    this.#multi = multi;
  }

  /** From now on, notes and events are records of `log` (the TUI shows them in its pane). */
  toLog(log: NoteSink): void {
    this.#log = log;
  }

  /** From now on, notes and events are lines on the terminal again. */
  toTerminal(): void {
    this.#log = undefined;
  }

  /** One of orch's notes. */
  readonly say = (text: string): void => {
    if (this.#log) this.#log.note("orch", 0, text);
    else this.#out.write(this.#printer.note(text));
  };

  /** One event of the bus, if it is one worth saying. */
  readonly event = (event: OrchEvent): void => {
    // Lines skipped on the terminal are said there; other readers' are counted (metrics).
    if (event.type === "dropped") {
      if (event.of === "log" && event.consumer === "terminal") {
        this.#out.write(this.#printer.event(event, this.#multi));
      }
      return;
    }
    if (!this.#log) {
      const line = this.#printer.event(event, this.#multi);
      if (line) this.#out.write(line);
      return;
    }
    const text = this.#printer.describe(event, this.#multi);
    if (!text) return;
    // A note about one instance is recorded under its replica (one about the service: 0).
    this.#log.note(
      "service" in event ? event.service : "orch",
      "replica" in event ? event.replica : 0,
      text,
    );
  };
}
