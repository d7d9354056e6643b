/**
 * The one table of the commands that talk to a running orch (status, list, logs, events, start,
 * stop, restart, scale, send, apply, down) and of the global options: names, arguments, options,
 * help texts and what each runs. The fast parser (`fast.ts`, no commander) and commander's
 * declarations (`main.ts`) are both made from it. It loads no library.
 *
 * @module
 */
import { applyCommand } from "./apply.ts";
import {
  downCommand,
  eventsCommand,
  listCommand,
  scaleCommand,
  sendCommand,
  serviceCommand,
  statusCommand,
} from "./commands.ts";
import type { CliIO } from "./io.ts";
import { logsCommand } from "./logs.ts";

/** An option: `--long`, maybe `-s`, maybe taking a value (`<n>`), maybe repeatable. */
export interface OptionSpec {
  /** The long name without dashes: `dry-run`; its value is `dryRun` in the parsed options. */
  readonly long: string;
  readonly short?: string;
  /** The value's placeholder, for an option that takes one: `<duration>`. */
  readonly value?: string;
  /** Given more than once, the values make a list. */
  readonly repeat?: boolean;
  readonly description: string;
  /** Only the full parser knows it (it does something of its own). */
  readonly slow?: boolean;
}

/** A positional argument. */
export interface ArgSpec {
  readonly name: string;
  readonly required: boolean;
  readonly variadic: boolean;
  readonly description?: string;
}

/** Parsed options: camelCase names to a value, true, or a list for repeatable ones. */
export type ParsedOptions = Readonly<Record<string, string | boolean | string[] | undefined>>;

/** The global options, as the commands see them. */
export interface GlobalOptions {
  readonly file: string[];
  readonly host?: string;
  readonly token?: string;
  readonly profile: string[];
  readonly formation?: string;
}

/** One client command. */
export interface ClientCommand {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly description: string;
  readonly args: readonly ArgSpec[];
  readonly options: readonly OptionSpec[];
  readonly run: (
    io: CliIO,
    args: readonly string[],
    opts: ParsedOptions,
    globals: GlobalOptions,
  ) => Promise<number>;
}

/** The options every command takes (commander's program options). */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  {
    long: "file",
    short: "f",
    value: "<path>",
    repeat: true,
    description: "stack file; repeat to override earlier files",
  },
  { long: "host", value: "<url>", description: "talk to the orch listening there (or ORCH_HOST)" },
  { long: "token", value: "<token>", description: "bearer token for --host (or ORCH_TOKEN)" },
  { long: "sample-toml", description: "print a sample orchestrate.toml", slow: true },
  {
    long: "profile",
    value: "<name>",
    repeat: true,
    description: "Compose: enable this profile (repeatable)",
  },
  {
    long: "formation",
    short: "m",
    value: "<counts>",
    description: "Procfile: instances per process type, e.g. web=2,worker=1",
  },
];

/** `dry-run` -> `dryRun`, as commander names parsed options. */
export function camel(long: string): string {
  return long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

const str = (v: ParsedOptions[string]) => (typeof v === "string" ? v : undefined);
const json = { long: "json", description: "as JSON" } as const;
const client = (g: GlobalOptions) => ({ file: g.file, host: g.host, token: g.token });
const interop = (g: GlobalOptions) => ({
  profile: g.profile,
  formation: g.formation,
  host: g.host,
});
const swarm = () => import("./swarm_commands.ts");
const many = (name: string, required: boolean, description?: string): ArgSpec => ({
  name,
  required,
  variadic: true,
  description,
});

function serviceAction(action: "start" | "stop" | "restart"): ClientCommand {
  return {
    name: action,
    aliases: [],
    description: action === "restart"
      ? "restart services (all without names); replicas roll one batch at a time"
      : `${action} a service`,
    args: [many("service", action !== "restart")],
    options: [],
    run: (io, args, _o, g) => serviceCommand(io, action, args, client(g)),
  };
}

/** Every client command. */
export const CLIENT_COMMANDS: readonly ClientCommand[] = [
  {
    name: "status",
    aliases: ["ps"],
    description: "the status table: SERVICE STATE READY REPL RESTARTS AGE MESSAGE",
    args: [],
    options: [
      { ...json, description: "status of every instance as JSON" },
      { long: "wide", short: "w", description: "with CPU and memory" },
      {
        long: "swarm",
        description: "the stack deployed on a swarm (--host: the manager's Docker engine)",
      },
    ],
    run: async (io, _args, o, g) =>
      o.swarm
        ? (await swarm()).swarmStatusCommand(io, g.file, { ...interop(g), json: !!o.json })
        : statusCommand(io, { ...client(g), json: !!o.json, wide: !!o.wide }),
  },
  {
    name: "list",
    aliases: [],
    description: "the names of the services",
    args: [],
    options: [{ ...json, description: "with kind, runtime and replicas" }],
    run: (io, _args, o, g) => listCommand(io, { ...client(g), json: !!o.json }),
  },
  {
    name: "logs",
    aliases: [],
    description: "print logs of all services or some; -f to follow",
    args: [many("service", false, "only these services")],
    options: [
      {
        long: "follow",
        short: "f",
        description: "keep printing new lines (the stack file is --file here)",
      },
      { long: "since", value: "<when>", description: "only lines since then: 10m, or an ISO time" },
      { long: "tail", short: "n", value: "<n>", description: "only the last n lines" },
      { long: "level", value: "<level>", description: "only lines at this level or above" },
      { ...json, description: "as NDJSON records" },
      {
        long: "raw",
        description: "lines as the services wrote them: escape sequences reach the terminal",
      },
    ],
    run: (io, args, o, g) =>
      logsCommand(io, args, {
        ...client(g),
        follow: !!o.follow,
        since: str(o.since),
        tail: str(o.tail),
        level: str(o.level),
        json: !!o.json,
        raw: !!o.raw,
      }),
  },
  {
    name: "events",
    aliases: [],
    description: "follow the engine's events: state changes, exits, probes, rollouts",
    args: [],
    options: [{ ...json, description: "as NDJSON" }],
    run: (io, _args, o, g) => eventsCommand(io, { ...client(g), json: !!o.json }),
  },
  serviceAction("start"),
  serviceAction("stop"),
  serviceAction("restart"),
  {
    name: "scale",
    aliases: [],
    description: "set the number of replicas: orch scale api=3",
    args: [many("service=n", true)],
    options: [],
    run: (io, args, _o, g) => scaleCommand(io, args, client(g)),
  },
  {
    name: "send",
    aliases: [],
    description: "write a line to a service's stdin",
    args: [{ name: "service", required: true, variadic: false }, many("text", true)],
    options: [],
    run: (io, args, _o, g) => sendCommand(io, args[0], args.slice(1), client(g)),
  },
  {
    name: "apply",
    aliases: [],
    description: "apply the changed stack file to the running stack: plan, then roll out",
    args: [],
    options: [
      { long: "dry-run", description: "print the plan only" },
      { ...json, description: "plan and result as JSON" },
    ],
    run: (io, _args, o, g) =>
      applyCommand(io, { ...client(g), dryRun: !!o.dryRun, json: !!o.json }),
  },
  {
    name: "down",
    aliases: [],
    description: "stop the running stack in reverse dependency order, and its orch",
    args: [],
    options: [
      { long: "timeout", value: "<duration>", description: "kill what is left after this long" },
      {
        long: "swarm",
        description: "remove the stack from a swarm (--host: the manager's Docker engine)",
      },
    ],
    run: async (io, _args, o, g) =>
      o.swarm
        ? (await swarm()).swarmDownCommand(io, g.file, interop(g))
        : downCommand(io, { ...client(g), timeout: str(o.timeout) }),
  },
];

/** The commander flags of an option: `-n, --tail <n>`. */
export function flagsOf(option: OptionSpec): string {
  const short = option.short ? `-${option.short}, ` : "";
  return `${short}--${option.long}${option.value ? ` ${option.value}` : ""}`;
}

/** The commander form of an argument: `<service...>`, `[service...]`. */
export function argumentOf(arg: ArgSpec): string {
  const name = `${arg.name}${arg.variadic ? "..." : ""}`;
  return arg.required ? `<${name}>` : `[${name}]`;
}
