/**
 * The merged stream on the terminal (`orch up` without a TUI, `orch run --jobs`): every log record
 * as a `service | line`, a flow task's as `flow/task | line` (or NDJSON with `--json`), read
 * through a bounded subscription of the log hub named `terminal`, so that a slow terminal skips
 * ahead instead of holding a service back.
 *
 * @module
 */
import type { LogHub } from "../log/mod.ts";
import type { AsyncWriter, LinePrinter } from "./printer.ts";

/** Records that may queue for the terminal before it skips ahead. */
const CAPACITY = 20_000;

/** Prints the hub's records until `close`; `done` resolves once the last batch is written. */
export function printMerged(
  logs: LogHub,
  printer: LinePrinter,
  out: AsyncWriter,
  options: { json?: boolean; multi: (service: string) => boolean },
): { close(): void; done: Promise<void> } {
  const subscription = logs.subscribe("terminal", { capacity: CAPACITY });
  const done = (async () => {
    // A batch of lines at a time, as bytes: no record is made for the terminal.
    for await (const slices of subscription.slices()) {
      out.write(printer.slices(slices, options.multi));
    }
  })();
  return { close: () => subscription.close(), done };
}
