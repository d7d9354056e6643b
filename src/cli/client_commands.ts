/**
 * The one table of the commands that talk to a running orch (status, list, logs, events, start,
 * stop, restart, scale, send, apply, down) and of the global options: names, arguments, options,
 * help texts and what each runs. The fast parser (`fast.ts`, no commander) and commander's
 * declarations (`main.ts`) are both made from it. It loads no library.
 *
 * @module
 */
import { UsageError } from "../domain/mod.ts";
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
import { logsCommand } from "./logs.ts";
import type {
  ArgSpec,
  ClientCommand,
  GlobalOptions,
  OptionSpec,
  ParsedOptions,
} from "./command_spec.ts";
import { FLOW_COMMANDS } from "./flow_specs.ts";

export type { ArgSpec, ClientCommand, GlobalOptions, OptionSpec, ParsedOptions };

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
  {
    long: "host-port",
    value: "<host:port>",
    description: "a synonym of --host (Conducktor's; CDKTR_HOST_PORT)",
  },
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
const client = (g: GlobalOptions) => ({
  file: g.file,
  host: g.host ?? g.hostPort,
  token: g.token,
});
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
  const conducktor = action === "start"
    ? "; without one, start the stack and its scheduler in the background (Conducktor's start)"
    : action === "stop"
    ? "; without one, stop the stack and its orch (Conducktor's stop, orch down)"
    : "";
  return {
    name: action,
    aliases: [],
    description: action === "restart"
      ? "restart services (all without names); replicas roll one batch at a time"
      : `${action} a service${conducktor}`,
    args: [many("service", false)],
    options: action === "start"
      ? [{
        long: "max-executors",
        value: "<n>",
        description: "without a service: flow tasks at once (CDKTR_MAX_EXECUTORS)",
      }]
      : [],
    run: async (io, args, o, g) => {
      if (args.length === 0 && action === "stop") return await downCommand(io, client(g));
      if (args.length === 0 && action === "start") {
        if (g.host ?? g.hostPort) {
          throw new UsageError("orch start without a service starts a stack here, not on --host");
        }
        return await (await import("./up.ts")).upCommand(io, g.file, {
          detach: true,
          maxExecutors: str(o.maxExecutors),
        });
      }
      if (o.maxExecutors !== undefined) {
        throw new UsageError("--max-executors goes with orch start alone (no service)");
      }
      return await serviceCommand(io, action, args, client(g));
    },
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
      { long: "flow", value: "<flow>", description: "a flow's task output (no service then)" },
      { long: "run", value: "<id>", description: "with --flow: only this run's" },
      { long: "task", value: "<task>", description: "with --flow: only this task's" },
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
        flow: str(o.flow),
        run: str(o.run),
        task: str(o.task),
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
  ...FLOW_COMMANDS,
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
