/**
 * orch's composition root: the one place that exits.
 *
 * `--version` answers before anything else is loaded, so that it starts as fast as Deno does. As
 * PID 1 (or with `--init`) the signal listeners come first of all. Every way a command can end
 * goes through `exitCodeOf` (src/cli/exit.ts): its result, an error it throws, and an error no
 * one awaited (a bug: reported with its stack, exit 70).
 *
 * @module
 */
import { VERSION } from "./src/version.ts";
import { installInitSignals, isInit } from "./src/cli/init_signals.ts";

if (import.meta.main) {
  const args = Deno.args;
  // The short-lived config loader `orch up` starts (src/cli/config_loader.ts).
  if (args[0] === "__load-config") {
    const { runLoaderChild } = await import("./src/config/cached/mod.ts");
    Deno.exit(await runLoaderChild());
  }
  // As PID 1, a SIGTERM with no listener kills Deno: listen before anything slow is loaded.
  if (isInit(args)) installInitSignals((code) => Deno.exit(code));
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
    console.log(`orch ${VERSION}`);
    Deno.exit(0);
  }
  const { reportError } = await import("./src/cli/exit.ts");
  const fatal = (error: unknown) =>
    Deno.exit(reportError((text) => Deno.stderr.writeSync(new TextEncoder().encode(text)), error));
  // An error nothing awaited ends orch as any other would, not with Deno's own report.
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    fatal(event.reason);
  });
  globalThis.addEventListener("error", (event) => {
    event.preventDefault();
    fatal(event.error);
  });
  try {
    const { processIO } = await import("./src/cli/io.ts");
    const io = processIO();
    const { openTerminal } = await import("./src/tui/terminal.ts");
    const cliIO = { ...io, terminal: openTerminal };
    // `up` and `validate` without commander, when the line is a plain one; `up` starts loading
    // its config first of all.
    if (args.length === 0 || args.includes("up") || args.includes("validate")) {
      const { runConfigFast } = await import("./src/cli/fast_config.ts");
      const code = await runConfigFast(args, cliIO).catch((error) => reportError(io.err, error));
      if (code !== undefined) Deno.exit(code);
    }
    const { runFast } = await import("./src/cli/fast.ts");
    const { requireForClient } = await import("./src/cli/permissions.ts");
    const fast = await Promise.resolve().then(() => requireForClient(args, io.cwd))
      .then(() => runFast(args, io)).catch((error) => reportError(io.err, error));
    if (fast !== undefined) Deno.exit(fast);
    const { runCli } = await import("./src/cli/main.ts");
    Deno.exit(await runCli(args, cliIO));
  } catch (error) {
    fatal(error);
  }
}
