/**
 * The command line: argv -> typed commands -> handlers. Exit codes are decided here; only `main.ts`
 * exits.
 *
 * @module
 */
import { Command, Option } from "commander";
import { didYouMean, UsageError } from "../domain/mod.ts";
import { VERSION } from "../version.ts";
import {
  argumentOf,
  CLIENT_COMMANDS,
  type ClientCommand,
  flagsOf,
  GLOBAL_OPTIONS,
  type GlobalOptions,
} from "./client_commands.ts";
import { reportError } from "./exit.ts";
import type { CliIO } from "./io.ts";

// The config loader (the schemas, yaml, smol-toml) loads only for commands that read config, so that the
// commands that talk to a running orch start fast.
const configCommands = () => import("./config_commands.ts");
const up = () => import("./up.ts");
const interop = () => import("./interop_commands.ts");
const swarm = () => import("./swarm_commands.ts");

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * The index of the command word: the first argument that is neither an option nor the value of
 * one of the global options that take a value (`taking`).
 */
function commandIndex(args: readonly string[], taking: ReadonlySet<string>): number {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--") return -1;
    if (taking.has(args[i])) i++;
    else if (!args[i].startsWith("-")) return i;
  }
  return -1;
}

/** A usage error for a word that is no command, with the nearest command if one is close. */
function unknownCommand(word: string, commands: Iterable<string>): UsageError {
  const hint = didYouMean(word, commands);
  return new UsageError(
    `unknown command "${word}" (${hint ?? "orch --help lists the commands"})`,
  );
}

/**
 * Runs one command line and returns its exit status.
 *
 * @param argv Arguments after the program name.
 * @param io Where output goes.
 */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  let code = 0;
  const program = new Command("orch")
    .description(
      "A single-node orchestrator for processes and containers: one declarative stack,\n" +
        "a dependency graph gated on readiness, probes, restarts, logs, and a TUI.",
    )
    .version(`orch ${VERSION}`, "-V, --version", "print the version")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showSuggestionAfterError(true)
    .allowExcessArguments(false)
    .action(async () => {
      const opts = program.opts();
      if (opts.sampleToml) code = (await configCommands()).sampleTomlCommand(io);
      else program.outputHelp();
    });

  for (const option of GLOBAL_OPTIONS) {
    if (option.repeat) program.option(flagsOf(option), option.description, collect, []);
    else program.option(flagsOf(option), option.description);
  }

  const files = (cmd: Command): string[] => cmd.optsWithGlobals().file ?? [];
  const interopOf = (cmd: Command) => {
    const g = cmd.optsWithGlobals();
    return { profile: g.profile, formation: g.formation };
  };

  program.command("validate")
    .description("check the stack file; machine checks (commands, users, files) are warnings")
    .option("--strict", "fail on machine checks too")
    .option("-q, --quiet", "print nothing when valid")
    .action(async (opts, cmd) => {
      code = await (await configCommands()).validateCommand(io, files(cmd), {
        ...opts,
        ...interopOf(cmd),
      });
    });

  program.command("config")
    .description("print the normalized stack, defaults applied")
    .addOption(new Option("--json", "as JSON").conflicts("yaml"))
    .option("--yaml", "as YAML (the default)")
    .action(async (opts, cmd) => {
      code = await (await configCommands()).configCommand(io, files(cmd), {
        ...opts,
        ...interopOf(cmd),
      });
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
    .option("--ui", "serve the web dashboard and print a one-time login URL")
    .option("--no-tui", "print the merged log stream instead of the TUI")
    .option("--json", "print log records and events as NDJSON")
    .option("--no-color", "no colour in the log stream")
    .option("--init", "act as an init although not PID 1: reap orphans, become a subreaper")
    .option(
      "--forward <signal:service>",
      "pass this signal on to a service (repeatable)",
      collect,
      [],
    )
    .option("--raw", "services' output as is: escape sequences reach the terminal")
    .option("--db <file>", "the flows' history database (default .orch/history.db)")
    .option("--max-executors <n>", "flow tasks running at once (default: the number of cores)")
    .addOption(new Option("--daemon-child").hideHelp())
    .action(async (opts, cmd) => {
      code = await (await up()).upCommand(io, files(cmd), {
        ...opts,
        ...interopOf(cmd),
        token: cmd.optsWithGlobals().token,
      });
    });

  program.command("install")
    .description("put orch on the PATH, with the `entrypoint` compatibility link")
    .option("--dir <dir>", "where to install", "/usr/local/bin")
    .option("--force", "replace an orch or entrypoint there that orch did not make")
    .action(async (opts) => {
      code = (await import("./install.ts")).installCommand(io, opts);
    });

  const client = (cmd: Command) => {
    const g = cmd.optsWithGlobals();
    return { file: g.file, host: g.host ?? g.hostPort, token: g.token };
  };

  // The commands that talk to a running orch, from the table the fast parser reads too.
  const declare = (spec: ClientCommand) => {
    const command = program.command(spec.name).description(spec.description);
    for (const alias of spec.aliases) command.alias(alias);
    for (const arg of spec.args) command.argument(argumentOf(arg), arg.description);
    for (const option of spec.options) {
      if (option.repeat) command.option(flagsOf(option), option.description, collect, []);
      else command.option(flagsOf(option), option.description);
    }
    command.action(async (...params: unknown[]) => {
      const cmd = params.at(-1) as Command;
      const opts = params.at(-2) as Record<string, string | boolean>;
      const args = params.slice(0, -2).flat().filter((a): a is string => typeof a === "string");
      const g = cmd.optsWithGlobals() as GlobalOptions;
      code = await spec.run(io, args, opts, { ...g, file: g.file ?? [], profile: g.profile ?? [] });
    });
  };
  for (const spec of CLIENT_COMMANDS) {
    if (spec.name === "down") {
      program.command("ui")
        .description("print a one-time login URL of the web dashboard (starting it if it is off)")
        .option("--listen <host:port>", "where the dashboard listens if it is off (127.0.0.1:0)")
        .option("--open", "open a browser on it")
        .option("--read-only", "a read-only session: it sees everything and changes nothing")
        .action(async (opts, cmd) => {
          code = await (await import("./ui.ts")).uiCommand(io, { ...client(cmd), ...opts });
        });
      program.command("attach").alias("tui")
        .description(
          "open the TUI on a running stack (local, or remote with --host); q leaves it running",
        )
        .option("--db <file>", "read-only: the flows of a history database, no orch running")
        .action(async (opts, cmd) => {
          code = opts.db
            ? await (await import("./tui_db.ts")).dbTuiCommand(io, opts.db)
            : await (await import("./tui.ts")).attachCommand(io, client(cmd));
        });
    }
    declare(spec);
  }

  program.command("convert")
    .description("write a Compose, process-compose or Procfile file as an orch stack file")
    .argument("<file>", "the file to convert")
    .option("-o, --output <file>", "where to write (default orch.yaml beside it; - for stdout)")
    .option("--force", "overwrite an existing file")
    .action(async (file, opts, cmd) => {
      code = await (await interop()).convertCommand(io, file, { ...opts, ...interopOf(cmd) });
    });

  program.command("export")
    .description(
      "write the stack for another engine: compose (docker compose, docker stack deploy) or k8s",
    )
    .argument("<target>", "compose or k8s")
    .option(
      "-o, --output <path>",
      "a file, or for k8s a directory (one file per object); default stdout",
    )
    .option("--swarm", "compose: for docker stack deploy (depends_on as a list, which it ignores)")
    .action(async (target, opts, cmd) => {
      code = await (await interop()).exportCommand(io, target, files(cmd), {
        ...opts,
        ...interopOf(cmd),
      });
    });

  program.command("deploy")
    .description("deploy the stack's containers to a Docker Swarm, in dependency order")
    .option("--swarm", "deploy to the swarm of --host (a manager's Docker engine) or DOCKER_HOST")
    .option("--timeout <duration>", "how long each service may take to run and be healthy", "5m")
    .option("--publish-mode <mode>", "ingress (the routing mesh) or host", "ingress")
    .action(async (opts, cmd) => {
      if (!opts.swarm) throw new UsageError("orch deploy needs a target: --swarm");
      const g = cmd.optsWithGlobals();
      code = await (await swarm()).deployCommand(io, files(cmd), {
        ...interopOf(cmd),
        host: g.host,
        timeout: opts.timeout,
        publishMode: opts.publishMode,
      });
    });

  // `orch my_config.toml` runs that file; a bare `orch` runs the default file; any other word
  // that is no command is an unknown command.
  const args = [...argv];
  const commands = new Set(program.commands.flatMap((c) => [c.name(), ...c.aliases()]));
  const taking = new Set(
    program.options.filter((o) => o.required || o.optional)
      .flatMap((o) => [o.short, o.long].filter((f): f is string => f !== undefined)),
  );
  const first = commandIndex(args, taking);
  if (first >= 0 && !commands.has(args[first]) && args[first] !== "help") {
    const word = args[first];
    const bareFile = /\.(ya?ml|toml)$/i.test(word) || /(^|\/)Procfile(\.[^/]*)?$/.test(word);
    if (!bareFile) return reportError(io.err, unknownCommand(word, commands));
    args.splice(first, 1, "up", "-f", word);
  } else if (args.length === 0) args.push("up");
  // `orch logs -f` follows, as in every other tool; the stack file is then `--file`.
  if (first >= 0 && args[first] === "logs") {
    for (let i = first + 1; i < args.length; i++) if (args[i] === "-f") args[i] = "--follow";
  }

  try {
    await program.parseAsync(args, { from: "user" });
    return code;
  } catch (error) {
    return reportError(io.err, error);
  }
}
