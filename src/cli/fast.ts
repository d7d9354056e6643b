/**
 * The fast path for commands that talk to a running orch: a well-formed command line is parsed here
 * without loading commander (whose load costs more than the rest of such a command). Anything
 * unusual (help, an unknown or malformed option) returns undefined and goes to the full parser,
 * which owns help texts and error messages.
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
import { logsCommand } from "./logs.ts";
import type { CliIO } from "./io.ts";

interface Spec {
  /** long name -> [short, takes a value] */
  readonly options: Record<string, readonly [string | undefined, boolean]>;
  readonly run: (
    io: CliIO,
    positional: string[],
    opts: Record<string, string | boolean>,
    g: Global,
  ) => Promise<number>;
}

interface Global {
  readonly file: string[];
  readonly host?: string;
  readonly token?: string;
}

const GLOBAL: Record<string, readonly [string | undefined, boolean]> = {
  file: ["f", true],
  host: [undefined, true],
  token: [undefined, true],
};

const str = (v: string | boolean | undefined) => (typeof v === "string" ? v : undefined);

/** `table[key]` when the table itself has it: `constructor` or `__proto__` is never an option. */
function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

const SPECS: Record<string, Spec> = {
  status: {
    options: { json: [undefined, false], wide: ["w", false] },
    run: (io, pos, o, g) =>
      pos.length
        ? Promise.resolve(-1)
        : statusCommand(io, { ...g, json: !!o.json, wide: !!o.wide }),
  },
  list: {
    options: { json: [undefined, false] },
    run: (
      io,
      pos,
      o,
      g,
    ) => (pos.length ? Promise.resolve(-1) : listCommand(io, { ...g, json: !!o.json })),
  },
  logs: {
    options: {
      follow: ["f", false],
      since: [undefined, true],
      tail: ["n", true],
      level: [undefined, true],
      json: [undefined, false],
      raw: [undefined, false],
    },
    run: (io, pos, o, g) =>
      logsCommand(io, pos, {
        ...g,
        follow: !!o.follow,
        since: str(o.since),
        tail: str(o.tail),
        level: str(o.level),
        json: !!o.json,
        raw: !!o.raw,
      }),
  },
  events: {
    options: { json: [undefined, false] },
    run: (
      io,
      pos,
      o,
      g,
    ) => (pos.length ? Promise.resolve(-1) : eventsCommand(io, { ...g, json: !!o.json })),
  },
  start: {
    options: {},
    run: (
      io,
      pos,
      _o,
      g,
    ) => (pos.length ? serviceCommand(io, "start", pos, g) : Promise.resolve(-1)),
  },
  stop: {
    options: {},
    run: (
      io,
      pos,
      _o,
      g,
    ) => (pos.length ? serviceCommand(io, "stop", pos, g) : Promise.resolve(-1)),
  },
  restart: { options: {}, run: (io, pos, _o, g) => serviceCommand(io, "restart", pos, g) },
  scale: {
    options: {},
    run: (io, pos, _o, g) => (pos.length ? scaleCommand(io, pos, g) : Promise.resolve(-1)),
  },
  send: {
    options: {},
    run: (
      io,
      pos,
      _o,
      g,
    ) => (pos.length >= 2 ? sendCommand(io, pos[0], pos.slice(1), g) : Promise.resolve(-1)),
  },
  apply: {
    options: { "dry-run": [undefined, false], json: [undefined, false] },
    run: (io, pos, o, g) =>
      pos.length
        ? Promise.resolve(-1)
        : applyCommand(io, { ...g, dryRun: !!o["dry-run"], json: !!o.json }),
  },
  down: {
    options: { timeout: [undefined, true] },
    run: (
      io,
      pos,
      o,
      g,
    ) => (pos.length ? Promise.resolve(-1) : downCommand(io, { ...g, timeout: str(o.timeout) })),
  },
};
SPECS.ps = SPECS.status;

/**
 * Runs a client command if the line is one this parser fully understands; otherwise undefined.
 * Errors from the command itself propagate (the caller maps them to exit codes).
 */
export async function runFast(argv: readonly string[], io: CliIO): Promise<number | undefined> {
  const name = argv.find((a) => !a.startsWith("-"));
  const spec = name ? own(SPECS, name) : undefined;
  if (!spec) return undefined;
  const global: { file: string[]; host?: string; token?: string } = { file: [] };
  const opts: Record<string, string | boolean> = {};
  const positional: string[] = [];
  let seenCommand = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("-") || arg === "-") {
      if (!seenCommand && arg === name) seenCommand = true;
      else if (!seenCommand) return undefined;
      else positional.push(arg);
      continue;
    }
    if (arg === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    let key: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      [key, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    } else if (arg.length === 2) {
      const short = arg[1];
      // In `logs`, -f follows; elsewhere it names the stack file.
      const local = seenCommand
        ? Object.entries(spec.options).find(([, [s]]) => s === short)?.[0]
        : undefined;
      key = local ?? Object.entries(GLOBAL).find(([, [s]]) => s === short)?.[0];
    }
    if (!key) return undefined;
    const local = seenCommand ? own(spec.options, key) : undefined;
    const def = local ?? own(GLOBAL, key);
    if (!def) return undefined;
    let value: string | boolean = true;
    if (def[1]) {
      value = inline ?? argv[++i];
      if (value === undefined) return undefined;
    } else if (inline !== undefined) return undefined;
    if (!local && key === "file") global.file.push(value as string);
    else if (!local) (global as Record<string, unknown>)[key] = value;
    else opts[key] = value;
  }
  const code = await spec.run(io, positional, opts, global);
  return code === -1 ? undefined : code;
}
