/**
 * Signal listeners that `main.ts` installs first thing when orch is PID 1 (or runs with
 * `--init`), before anything slow is loaded: as PID 1, Deno dies on a SIGTERM, SIGINT or SIGHUP
 * that no JavaScript listener takes, and the kernel drops signals that PID 1 has no handler for.
 *
 * Until a command claims them, a signal ends orch at once with 128 + its number (nothing has
 * started yet). `orch up` claims them as it begins (`deferInitSignals`): from then on they are
 * kept, and handed to its own handler once that is installed (`takeInitSignals`). The listeners
 * stay installed for the life of the process. This module imports nothing.
 *
 * @module
 */

/** The signals every orch as PID 1 must listen to. */
export const INIT_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;

const NUMBERS: Readonly<Record<string, number>> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

type Mode = "exit" | "queue" | "owned";

let installed = false;
let mode: Mode = "exit";
let queued: Deno.Signal[] = [];
let exitWith: (code: number) => void = () => {};

/** Whether orch runs as an init: PID 1, or asked with `--init`. */
export function isInit(args: readonly string[]): boolean {
  return Deno.pid === 1 || args.includes("--init");
}

/**
 * Installs the listeners (once). `exit` ends the process; it is called when a signal arrives
 * before a command has claimed them.
 */
export function installInitSignals(exit: (code: number) => void): void {
  exitWith = exit;
  if (installed) return;
  installed = true;
  for (const signal of INIT_SIGNALS) {
    Deno.addSignalListener(signal, () => {
      if (mode === "exit") exitWith(128 + NUMBERS[signal]);
      else if (mode === "queue") queued.push(signal);
    });
  }
}

/** Whether the listeners are installed. */
export function initSignalsInstalled(): boolean {
  return installed;
}

/** Keeps signals from now on instead of exiting, for `takeInitSignals`. */
export function deferInitSignals(): void {
  if (mode === "exit") mode = "queue";
}

/**
 * Returns the signals kept since `deferInitSignals`, in order; from now on the caller's own
 * listeners take every signal and these ones do nothing.
 */
export function takeInitSignals(): Deno.Signal[] {
  const taken = queued;
  queued = [];
  mode = "owned";
  return taken;
}
