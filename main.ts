/**
 * orch's composition root: the one place that exits.
 *
 * `--version` answers before anything else is loaded, so that it starts as fast as Deno does.
 *
 * @module
 */
import { VERSION } from "./src/version.ts";

if (import.meta.main) {
  const args = Deno.args;
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
    console.log(`orch ${VERSION}`);
    Deno.exit(0);
  }
  const { processIO } = await import("./src/cli/io.ts");
  const { runFast } = await import("./src/cli/fast.ts");
  const { reportError } = await import("./src/cli/exit.ts");
  const io = processIO();
  const fast = await runFast(args, io).catch((error) => reportError(io.err, error));
  if (fast !== undefined) Deno.exit(fast);
  const { runCli } = await import("./src/cli/main.ts");
  Deno.exit(await runCli(args, io));
}
