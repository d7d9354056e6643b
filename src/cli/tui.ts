/**
 * The TUI from the command line: `orch attach` (the TUI on a running orch, through its API), the
 * captures the TUI writes, and what `orch up` leaves on the screen when its TUI closes. The TUI
 * itself drives either stack through the control interface.
 *
 * @module
 */
import type { Control } from "../control/mod.ts";
import { type LogRecord, sanitize } from "../domain/mod.ts";
import { runTui } from "../tui/mod.ts";
import { type ClientOptions, open, statusTable } from "./commands.ts";
import type { CliIO } from "./io.ts";
import { LinePrinter, terminalCleaner } from "./printer.ts";
import type { Style } from "./style.ts";

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

/** Writes lines the TUI captured to `dir/capture-TIME.log` (mode 0600); resolves with its path. */
export async function writeCapture(dir: string, lines: readonly string[]): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/capture-${stamp()}.log`;
  await Deno.writeTextFile(path, lines.join("\n") + "\n", { mode: 0o600 });
  return path;
}

/** Lines of a failed service shown after the TUI closes. */
const LAST_LINES = 5;

/**
 * What `orch up` leaves on the normal screen when its TUI closes: the final status table, and
 * the last lines of every service that failed.
 */
export async function finalReport(
  control: Control,
  style: Style,
  services: readonly string[],
): Promise<string> {
  const status = await control.status({ usage: false });
  let text = statusTable(status, style);
  const printer = new LinePrinter(services, style, {
    clean: terminalCleaner({ terminal: true, colors: style.enabled }),
  });
  for (const failed of status.services.filter((s) => s.state === "failed")) {
    const kept = await control.logs({ services: [failed.service] }, { tail: 200 });
    const records: LogRecord[] = [];
    for await (const batch of kept.batches()) records.push(...batch);
    const output = records.filter((r) => r.stream !== "orch").slice(-LAST_LINES);
    if (output.length === 0) continue;
    text += `\n${style.red(`${failed.service} failed`)}${
      failed.message ? ` (${sanitize(failed.message)})` : ""
    }; its last lines:\n`;
    for (const record of output) text += printer.record(record, failed.replicas > 1);
  }
  return text;
}

/** `orch attach`: the TUI on a running stack; quitting leaves the stack running. */
export async function attachCommand(io: CliIO, options: ClientOptions): Promise<number> {
  if (!io.stdinIsTerminal || !io.isTerminal) {
    io.err("orch: attach needs a terminal (try orch status, orch logs -f)\n");
    return 2;
  }
  const control = await open(io, options);
  try {
    await control.status(); // fail before taking over the screen
    // The TUI closes when the orch goes away: its event stream ends with it.
    await runTui(control, io.terminal(), {
      ownsStack: false,
      save: (lines) => writeCapture(io.cwd, lines),
    });
    return 0;
  } finally {
    control.close();
  }
}
