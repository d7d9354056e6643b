/**
 * The terminal UI: a pure view of a pure model, keys to commands, cell diffs, and the loop over
 * the control interface; the real terminal in `terminal.ts`.
 *
 * @module
 */
export { act, runTui, type TuiOptions, type TuiStats } from "./app.ts";
export { openTerminal, type TerminalPort } from "./terminal.ts";
