/**
 * What orch's own exit status says, the way tini and s6-overlay do it for a container: 0 for a
 * clean stop, the exit code of the `required` service whose failure ended the run (128 + the
 * signal's number if a signal killed it), 128 + the signal's number when a signal (SIGQUIT, or a
 * second SIGTERM/SIGINT/SIGHUP) had orch kill everything at once.
 *
 * @module
 */
import type { EngineEvent, ExitStatus, Service } from "../domain/mod.ts";

/** Linux signal numbers (x86_64 and arm64), for `128 + n` exit statuses. */
const SIGNAL_NUMBERS: Readonly<Record<string, number>> = Object.freeze({
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
});

/** The number of a signal by name (`SIGTERM` -> 15), or undefined for an unknown name. */
export function signalNumber(signal: string): number | undefined {
  return Object.hasOwn(SIGNAL_NUMBERS, signal) ? SIGNAL_NUMBERS[signal] : undefined;
}

/** The status a shell would report for an exit: the code, or 128 + the signal's number. */
export function statusOf(exit: ExitStatus): number {
  if (exit.signal) return 128 + (signalNumber(exit.signal) ?? 0);
  return exit.code ?? 1;
}

/**
 * Follows the engine's events to remember how the first `required` service that failed last
 * exited. Feed it every event (`observe`); `requiredStatus` gives what orch exits with for it.
 */
export class RequiredExit {
  readonly #required: ReadonlySet<string>;
  readonly #lastExit = new Map<string, ExitStatus>();
  #failed: { service: string; exit: ExitStatus | undefined } | undefined;

  constructor(services: Readonly<Record<string, Pick<Service, "required">>>) {
    this.#required = new Set(Object.keys(services).filter((name) => services[name].required));
  }

  /** Takes one engine event. */
  observe(event: EngineEvent): void {
    if (event.type !== "exited" && event.type !== "state") return;
    if (!this.#required.has(event.service)) return;
    const key = `${event.service}\0${event.replica}`;
    if (event.type === "exited") {
      this.#lastExit.set(key, event.exit);
      return;
    }
    if (event.state === "failed") {
      this.#failed ??= { service: event.service, exit: this.#lastExit.get(key) };
    } else if (
      event.state === "starting" || event.state === "waiting" || event.state === "pending"
    ) {
      // A new start: an earlier exit no longer explains what happens next.
      this.#lastExit.delete(key);
    }
  }

  /** The required service that failed first, if one did. */
  get failedService(): string | undefined {
    return this.#failed?.service;
  }

  /**
   * What orch exits with for the required failure: the service's own status when it failed by
   * exiting (never 0: a failure that exited 0 is 1), else 1 (it failed to start, or waiting for a
   * dependency timed out). Undefined when no required service failed.
   */
  requiredStatus(): number | undefined {
    if (!this.#failed) return undefined;
    const exit = this.#failed.exit;
    const status = exit ? statusOf(exit) : 1;
    return status === 0 ? 1 : status;
  }
}

/** How a run of `orch up` ended, for `exitStatusOf`. */
export interface RunEnd {
  /** From the engine: 0 when everything completed or stopped cleanly. */
  readonly outcomeCode: number;
  /** A signal, `orch down` or the TUI asked for the stop. */
  readonly stoppedOnRequest: boolean;
  /** The signal that made orch kill everything at once (SIGQUIT, or a second signal). */
  readonly killedBy?: string;
  /** `RequiredExit.requiredStatus()`. */
  readonly required?: number;
}

/** orch's exit status for a run of `orch up`. */
export function exitStatusOf(end: RunEnd): number {
  if (end.required !== undefined) return end.required;
  if (end.killedBy) return 128 + (signalNumber(end.killedBy) ?? 0);
  if (end.stoppedOnRequest) return 0;
  return end.outcomeCode;
}
