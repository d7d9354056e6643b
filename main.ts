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
  const { runCli } = await import("./src/cli/main.ts");
  const { processIO } = await import("./src/cli/io.ts");
  Deno.exit(await runCli(args, processIO()));
}
