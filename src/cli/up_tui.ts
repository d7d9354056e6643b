/**
 * `orch up` on a terminal: the TUI over the stack's control until the stack stops, then, on the
 * normal screen, the final table and the last lines of what failed. A stack that ends by itself
 * (its oneshots done) keeps the final table on screen until a key.
 *
 * @module
 */
import type { Control } from "../control/mod.ts";
import type { Engine, Outcome } from "../engine/mod.ts";
import { runTui } from "../tui/mod.ts";
import type { CliIO } from "./io.ts";
import type { Narrator } from "./narrator.ts";
import type { AsyncWriter } from "./printer.ts";
import type { Style } from "./style.ts";
import { finalReport, writeCapture } from "./tui.ts";
import type { UpLife } from "./up_life.ts";

/** What the TUI of `orch up` works with. */
export interface UpTuiParts {
  readonly io: CliIO;
  readonly control: Control;
  readonly engine: Engine;
  readonly life: UpLife;
  readonly narrator: Narrator;
  readonly out: AsyncWriter;
  readonly style: Style;
  /** The names the final report lines up. */
  readonly names: readonly string[];
  /** Where captures go (`.orch/logs`). */
  readonly captureDir: string;
  /** With flows, orch stays until it is stopped: a settled stack does not end the run. */
  readonly staysUp: boolean;
}

/** Runs the TUI until the stack has stopped (or the terminal is gone). */
export async function upTui(parts: UpTuiParts, settled: Promise<Outcome>): Promise<void> {
  const { io, engine, life, narrator } = parts;
  // Nothing left to run (a stack of oneshots): stop what is blocked; the final table stays on
  // screen until a key is pressed.
  void settled.then((outcome) => {
    if (engine.stopping || parts.staysUp) return;
    life.endedByItself = `${outcome.code === 0 ? "✓" : "✗"} ${outcome.summary}`;
    void engine.shutdown({ onWait: narrator.say });
  });
  const { stats } = await runTui(parts.control, io.terminal(), {
    ownsStack: true,
    save: (lines) => writeCapture(parts.captureDir, lines),
    ended: engine.stopped.then(() => life.endedByItself),
    onStop: () => life.stop("stopping (asked in the TUI)"),
    onHangup: life.hangup,
    signal: life.closeTui.signal,
  });
  // With the terminal gone, the narration of the shutdown still goes to the persisted log.
  if (!life.terminalGone) {
    narrator.toTerminal();
    await engine.stopped;
    parts.out.write(await finalReport(parts.control, parts.style, parts.names));
  }
  // For bench/tui_flood.ts: how many frames the run drew.
  const statsFile = io.env("ORCH_TUI_STATS");
  if (statsFile) await Deno.writeTextFile(statsFile, JSON.stringify(stats) + "\n");
}
