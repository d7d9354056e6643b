/**
 * The fast path for `orch up` and `orch validate`: a well-formed command line is parsed here into
 * the options commander would give, without loading commander (with Deno's CommonJS layer, 30 ms
 * of a start). Anything unusual (help, an unknown or malformed option, an argument too many)
 * returns undefined and goes to the full parser, which owns help texts and error messages.
 *
 * @module
 */
import { requestOf, startLoading } from "./config_loader.ts";
import { requirePermission } from "./exit.ts";
import { deferInitSignals } from "./init_signals.ts";
import type { CliIO } from "./io.ts";
import { loadOptionsOf } from "./load_options.ts";
import { loadNeeds, requireAll, upNeeds } from "./permissions.ts";
import type { UpOptions } from "./up.ts";

/** A parsed line: the stack files as given and the command's options. */
export interface Parsed<T> {
  readonly files: string[];
  readonly options: T;
}

/** long name -> [short, takes a value, repeatable] */
type Table = Record<string, readonly [string | undefined, boolean, boolean?]>;

const GLOBAL: Table = {
  file: ["f", true, true],
  host: [undefined, true],
  token: [undefined, true],
  profile: [undefined, true, true],
  formation: ["m", true],
};

const UP: Table = {
  detach: ["d", false],
  wait: [undefined, false],
  timeout: [undefined, true],
  listen: [undefined, true],
  "no-tui": [undefined, false],
  json: [undefined, false],
  "no-color": [undefined, false],
  init: [undefined, false],
  forward: [undefined, true, true],
  raw: [undefined, false],
  db: [undefined, true],
  "max-executors": [undefined, true],
  "daemon-child": [undefined, false],
};

const VALIDATE: Table = {
  strict: [undefined, false],
  quiet: ["q", false],
};

/** `table[key]` when the table itself has it: `constructor` is never an option. */
function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** The options of `command`'s line as commander gives them (camelCase), or undefined. */
function parse(
  argv: readonly string[],
  command: string,
  local: Table,
): Record<string, unknown> | undefined {
  const values: Record<string, unknown> = Object.create(null);
  let seen = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("-")) {
      if (arg !== command || seen) return undefined;
      seen = true;
      continue;
    }
    let key: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const at = arg.indexOf("=");
      key = at < 0 ? arg.slice(2) : arg.slice(2, at);
      inline = at < 0 ? undefined : arg.slice(at + 1);
    } else if (arg.length === 2) {
      const short = arg[1];
      key = Object.entries({ ...GLOBAL, ...(seen ? local : {}) }).find(([, d]) => d[0] === short)
        ?.[0];
    }
    if (!key) return undefined;
    const def = (seen ? own(local, key) : undefined) ?? own(GLOBAL, key);
    if (!def) return undefined;
    const [, takes, repeats] = def;
    let value: unknown = true;
    if (takes) {
      value = inline ?? argv[++i];
      if (value === undefined || (value as string).startsWith("-")) return undefined;
    } else if (inline !== undefined) return undefined;
    if (key.startsWith("no-")) {
      values[camel(key.slice(3))] = false;
      continue;
    }
    const name = camel(key);
    if (repeats) values[name] = [...((values[name] as string[] | undefined) ?? []), value];
    else if (name in values) return undefined; // given twice: the full parser decides
    else values[name] = value;
  }
  return seen ? values : undefined;
}

/** `orch up ...`: what `upCommand` gets from commander, or undefined. */
export function parseUp(argv: readonly string[]): Parsed<UpOptions> | undefined {
  const values = parse(argv, "up", UP);
  if (!values) return undefined;
  const { file, host: _host, ...rest } = values as Record<string, unknown> & { file?: string[] };
  return {
    files: file ?? [],
    options: { tui: true, color: true, timeout: "5m", forward: [], profile: [], ...rest },
  };
}

/** `orch validate ...`: what `validateCommand` gets from commander, or undefined. */
export function parseValidate(
  argv: readonly string[],
):
  | Parsed<{ strict?: boolean; quiet?: boolean; profile?: string[]; formation?: string }>
  | undefined {
  const values = parse(argv, "validate", VALIDATE);
  if (!values) return undefined;
  const { file, host: _host, token: _token, ...rest } = values as Record<string, unknown> & {
    file?: string[];
  };
  return { files: file ?? [], options: { profile: [], ...rest } };
}

/**
 * Runs `orch up` or `orch validate` when the line is one this parser fully understands (else
 * undefined). `up` in the foreground starts loading its config at once, beside the engine's
 * modules; the permission checks `up` makes come first.
 */
export async function runConfigFast(
  argv: readonly string[],
  io: CliIO,
): Promise<number | undefined> {
  const line = argv.length === 0 ? ["up"] : argv;
  const up = parseUp(line);
  if (up) {
    if (!up.options.detach) {
      requireAll("up", loadNeeds(io.cwd, up.files));
      requirePermission("run");
      requireAll("up", upNeeds());
      // As PID 1, a signal from now on is kept for `up` (as UpInit does), not an exit.
      deferInitSignals();
      await startLoading(requestOf(io.cwd, up.files, loadOptionsOf(up.options)), io.env);
    }
    return (await import("./up.ts")).upCommand(io, up.files, up.options);
  }
  const validate = parseValidate(line);
  if (validate) {
    return (await import("./validate.ts")).validateCommand(io, validate.files, validate.options);
  }
  return undefined;
}
