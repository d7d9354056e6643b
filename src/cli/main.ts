/**
 * The command line: argv -> typed commands -> handlers. Exit codes are decided here; only `main.ts`
 * exits.
 *
 * @module
 */
import { Command, CommanderError, Option } from "commander";
import { ConfigError, OrchError } from "../domain/errors.ts";
import { VERSION } from "../version.ts";
import {
  configCommand,
  graphCommand,
  initCommand,
  sampleTomlCommand,
  validateCommand,
} from "./config_commands.ts";
import type { CliIO } from "./io.ts";
import { upCommand } from "./up.ts";

const collect = (value: string, previous: string[]) => [...previous, value];

const COMMANDS = new Set([
  "up",
  "validate",
  "config",
  "graph",
  "init",
  "help",
]);

/**
 * Runs one command line and returns its exit status.
 *
 * @param argv Arguments after the program name.
 * @param io Where output goes.
 */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  // `orch my_config.toml` runs that file; a bare `orch` runs the default file.
  const args = [...argv];
  const first = args.findIndex((a) => !a.startsWith("-"));
  const bareFile = first >= 0 && !COMMANDS.has(args[first]) &&
    /\.(ya?ml|toml)$/i.test(args[first]) &&
    (first === 0 || !["-f", "--file"].includes(args[first - 1]));
  if (bareFile) args.splice(first, 1, "up", "-f", args[first]);
  else if (args.length === 0) args.push("up");

  let code = 0;
  const program = new Command("orch")
    .description(
      "A single-node orchestrator for processes and containers: one declarative stack,\n" +
        "a dependency graph gated on readiness, probes, restarts, logs, and a TUI.",
    )
    .version(`orch ${VERSION}`, "-V, --version", "print the version")
    .option("-f, --file <path>", "stack file; repeat to override earlier files", collect, [])
    .option("--sample-toml", "print a sample orchestrate.toml")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showSuggestionAfterError(true)
    .allowExcessArguments(false)
    .action(() => {
      const opts = program.opts();
      if (opts.sampleToml) code = sampleTomlCommand(io);
      else program.outputHelp();
    });

  const files = (cmd: Command): string[] => cmd.optsWithGlobals().file ?? [];

  program.command("validate")
    .description("check the stack file; machine checks (commands, users, files) are warnings")
    .option("--strict", "fail on machine checks too")
    .option("-q, --quiet", "print nothing when valid")
    .action(async (opts, cmd) => {
      code = await validateCommand(io, files(cmd), opts);
    });

  program.command("config")
    .description("print the normalized stack, defaults applied")
    .addOption(new Option("--json", "as JSON").conflicts("yaml"))
    .option("--yaml", "as YAML (the default)")
    .action(async (opts, cmd) => {
      code = await configCommand(io, files(cmd), opts);
    });

  program.command("graph")
    .description("print the dependency graph")
    .option("--dot", "Graphviz DOT, edges labelled with the condition")
    .option("--mermaid", "a Mermaid flowchart")
    .option("--json", "nodes, edges and start levels as JSON")
    .action(async (opts, cmd) => {
      code = await graphCommand(io, files(cmd), opts);
    });

  program.command("init")
    .description("write a commented sample stack file")
    .addOption(new Option("--yaml", "orch.yaml (the default)").conflicts("toml"))
    .option("--toml", "orchestrate.toml")
    .option("-o, --output <file>", "file name to write")
    .option("--force", "overwrite an existing file")
    .action(async (opts) => {
      code = await initCommand(io, { toml: opts.toml, file: opts.output, force: opts.force });
    });

  program.command("up")
    .description("start the stack in dependency order and supervise it until stopped")
    .option("--no-tui", "print the merged log stream instead of the TUI")
    .option("--json", "print log records and events as NDJSON")
    .option("--no-color", "no colour in the log stream")
    .action(async (opts, cmd) => {
      code = await upCommand(io, files(cmd), opts);
    });

  try {
    await program.parseAsync(args, { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === "commander.helpDisplayed" || error.code === "commander.version" ||
          error.code === "commander.help"
        ? 0
        : 2;
    }
    if (error instanceof ConfigError) {
      io.err(`orch: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof OrchError) {
      io.err(`orch: ${error.message}\n`);
      return error.exitCode;
    }
    io.err(`orch: internal error: ${(error as Error)?.stack ?? error}\n`);
    return 70;
  }
}
