/**
 * The command line: argv -> typed commands -> handlers. Exit codes are decided here; only `main.ts`
 * exits.
 *
 * @module
 */
import { Command, CommanderError, Option } from "commander";
import { ConfigError, OrchError } from "../domain/errors.ts";
import { VERSION } from "../version.ts";
import { applyCommand } from "./apply.ts";
import {
  downCommand,
  eventsCommand,
  listCommand,
  logsCommand,
  scaleCommand,
  sendCommand,
  serviceCommand,
  statusCommand,
} from "./commands.ts";
import type { CliIO } from "./io.ts";

// The config loader (zod, yaml, smol-toml) loads only for commands that read config, so that the
// commands that talk to a running orch start fast.
const configCommands = () => import("./config_commands.ts");
const up = () => import("./up.ts");

const collect = (value: string, previous: string[]) => [...previous, value];

const COMMANDS = new Set([
  "up",
  "down",
  "status",
  "ps",
  "list",
  "logs",
  "events",
  "start",
  "stop",
  "restart",
  "scale",
  "send",
  "apply",
  "attach",
  "tui",
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
  // `orch logs -f` follows, as in every other tool; the stack file is then `--file`.
  if (first >= 0 && args[first] === "logs") {
    for (let i = first + 1; i < args.length; i++) if (args[i] === "-f") args[i] = "--follow";
  }

  let code = 0;
  const program = new Command("orch")
    .description(
      "A single-node orchestrator for processes and containers: one declarative stack,\n" +
        "a dependency graph gated on readiness, probes, restarts, logs, and a TUI.",
    )
    .version(`orch ${VERSION}`, "-V, --version", "print the version")
    .option("-f, --file <path>", "stack file; repeat to override earlier files", collect, [])
    .option("--host <url>", "talk to the orch listening there (or ORCH_HOST)")
    .option("--token <token>", "bearer token for --host (or ORCH_TOKEN)")
    .option("--sample-toml", "print a sample orchestrate.toml")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showSuggestionAfterError(true)
    .allowExcessArguments(false)
    .action(async () => {
      const opts = program.opts();
      if (opts.sampleToml) code = (await configCommands()).sampleTomlCommand(io);
      else program.outputHelp();
    });

  const files = (cmd: Command): string[] => cmd.optsWithGlobals().file ?? [];

  program.command("validate")
    .description("check the stack file; machine checks (commands, users, files) are warnings")
    .option("--strict", "fail on machine checks too")
    .option("-q, --quiet", "print nothing when valid")
    .action(async (opts, cmd) => {
      code = await (await configCommands()).validateCommand(io, files(cmd), opts);
    });

  program.command("config")
    .description("print the normalized stack, defaults applied")
    .addOption(new Option("--json", "as JSON").conflicts("yaml"))
    .option("--yaml", "as YAML (the default)")
    .action(async (opts, cmd) => {
      code = await (await configCommands()).configCommand(io, files(cmd), opts);
    });

  program.command("graph")
    .description("print the dependency graph")
    .option("--dot", "Graphviz DOT, edges labelled with the condition")
    .option("--mermaid", "a Mermaid flowchart")
    .option("--json", "nodes, edges and start levels as JSON")
    .action(async (opts, cmd) => {
      code = await (await configCommands()).graphCommand(io, files(cmd), opts);
    });

  program.command("init")
    .description("write a commented sample stack file")
    .addOption(new Option("--yaml", "orch.yaml (the default)").conflicts("toml"))
    .option("--toml", "orchestrate.toml")
    .option("-o, --output <file>", "file name to write")
    .option("--force", "overwrite an existing file")
    .action(async (opts) => {
      code = await (await configCommands()).initCommand(io, {
        toml: opts.toml,
        file: opts.output,
        force: opts.force,
      });
    });

  program.command("up")
    .description("start the stack in dependency order and supervise it until stopped")
    .option("-d, --detach", "run in the background; return once started")
    .option("--wait", "with -d: return once every service is ready (non-zero if one fails)")
    .option("--timeout <duration>", "with --wait: give up after this long", "5m")
    .option("--listen <host:port>", "also serve the control API on TCP, with bearer tokens")
    .option("--no-tui", "print the merged log stream instead of the TUI")
    .option("--json", "print log records and events as NDJSON")
    .option("--no-color", "no colour in the log stream")
    .addOption(new Option("--daemon-child").hideHelp())
    .action(async (opts, cmd) => {
      code = await (await up()).upCommand(io, files(cmd), {
        ...opts,
        token: cmd.optsWithGlobals().token,
      });
    });

  const client = (cmd: Command) => {
    const g = cmd.optsWithGlobals();
    return { file: g.file, host: g.host, token: g.token };
  };

  program.command("status").alias("ps")
    .description("the status table: SERVICE STATE READY REPL RESTARTS AGE MESSAGE")
    .option("--json", "status of every instance as JSON")
    .option("-w, --wide", "with CPU and memory")
    .action(async (opts, cmd) => {
      code = await statusCommand(io, { ...client(cmd), ...opts });
    });

  program.command("list")
    .description("the names of the services")
    .option("--json", "with kind, runtime and replicas")
    .action(async (opts, cmd) => {
      code = await listCommand(io, { ...client(cmd), ...opts });
    });

  program.command("logs")
    .description("print logs of all services or some; -f to follow")
    .argument("[service...]", "only these services")
    .option("-f, --follow", "keep printing new lines (the stack file is --file here)")
    .option("--since <when>", "only lines since then: 10m, or an ISO time")
    .option("-n, --tail <n>", "only the last n lines")
    .option("--level <level>", "only lines at this level or above")
    .option("--json", "as NDJSON records")
    .action(async (services, opts, cmd) => {
      code = await logsCommand(io, services, { ...client(cmd), ...opts, file: client(cmd).file });
    });

  program.command("events")
    .description("follow the engine's events: state changes, exits, probes, rollouts")
    .option("--json", "as NDJSON")
    .action(async (opts, cmd) => {
      code = await eventsCommand(io, { ...client(cmd), ...opts });
    });

  for (const action of ["start", "stop", "restart"] as const) {
    program.command(action)
      .description(
        action === "restart"
          ? "restart services (all without names); replicas roll one batch at a time"
          : `${action} a service`,
      )
      .argument(action === "restart" ? "[service...]" : "<service...>")
      .action(async (services, _opts, cmd) => {
        code = await serviceCommand(io, action, services, client(cmd));
      });
  }

  program.command("scale")
    .description("set the number of replicas: orch scale api=3")
    .argument("<service=n...>")
    .action(async (specs, _opts, cmd) => {
      code = await scaleCommand(io, specs, client(cmd));
    });

  program.command("send")
    .description("write a line to a service's stdin")
    .argument("<service>")
    .argument("<text...>")
    .action(async (service, text, _opts, cmd) => {
      code = await sendCommand(io, service, text, client(cmd));
    });

  program.command("apply")
    .description("apply the changed stack file to the running stack: plan, then roll out")
    .option("--dry-run", "print the plan only")
    .option("--json", "plan and result as JSON")
    .action(async (opts, cmd) => {
      code = await applyCommand(io, { ...client(cmd), ...opts });
    });

  program.command("attach").alias("tui")
    .description(
      "open the TUI on a running stack (local, or remote with --host); q leaves it running",
    )
    .action(async (_opts, cmd) => {
      code = await (await import("./tui.ts")).attachCommand(io, client(cmd));
    });

  program.command("down")
    .description("stop the running stack in reverse dependency order, and its orch")
    .option("--timeout <duration>", "kill what is left after this long")
    .action(async (opts, cmd) => {
      code = await downCommand(io, { ...client(cmd), ...opts });
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
