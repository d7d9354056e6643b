/**
 * The fast path for commands that talk to a running orch: a well-formed command line is parsed here,
 * from the same table commander's declarations are made of (`client_commands.ts`), without loading
 * commander (whose load costs more than the rest of such a command). Anything unusual (help, an
 * unknown or malformed option, a missing argument) returns undefined and goes to the full parser,
 * which owns help texts and error messages.
 *
 * @module
 */
import {
  camel,
  CLIENT_COMMANDS,
  type ClientCommand,
  GLOBAL_OPTIONS,
  type GlobalOptions,
  type OptionSpec,
} from "./client_commands.ts";
import type { CliIO } from "./io.ts";

/** Each command by its names (aliases included), in a map: `constructor` is never a command. */
const BY_NAME = new Map<string, ClientCommand>(
  CLIENT_COMMANDS.flatMap((c) => [c.name, ...c.aliases].map((n) => [n, c] as const)),
);

const FAST_GLOBALS = GLOBAL_OPTIONS.filter((o) => !o.slow);

/** A command line this parser understands: the command, its arguments and options. */
export interface FastLine {
  readonly command: ClientCommand;
  readonly args: string[];
  readonly opts: Record<string, string | boolean | string[]>;
  readonly globals: GlobalOptions;
}

/** The option `key` (long name, or one letter) among `options`. */
function find(options: readonly OptionSpec[], key: string, short: boolean) {
  return options.find((o) => (short ? o.short === key : o.long === key));
}

/** Whether `count` arguments fit the command's arguments. */
function arity(command: ClientCommand, count: number): boolean {
  const least = command.args.filter((a) => a.required).length;
  const most = command.args.some((a) => a.variadic) ? Infinity : command.args.length;
  return count >= least && count <= most;
}

/** The command word: the first argument that is neither an option nor a global option's value. */
function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") return undefined;
    if (!arg.startsWith("-") || arg === "-") return arg;
    const long = arg.startsWith("--");
    if (long && arg.includes("=")) continue;
    const option = find(FAST_GLOBALS, long ? arg.slice(2) : arg.slice(1), !long);
    if (option?.value) i++;
  }
  return undefined;
}

/** Parses a command line, or undefined when the full parser must (see the module). */
export function parseFast(argv: readonly string[]): FastLine | undefined {
  const name = commandWord(argv);
  const command = name === undefined ? undefined : BY_NAME.get(name);
  if (!command) return undefined;
  const globals: { file: string[]; profile: string[]; [key: string]: unknown } = {
    file: [],
    profile: [],
  };
  const opts: Record<string, string | boolean | string[]> = {};
  const args: string[] = [];
  let seenCommand = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("-") || arg === "-") {
      if (!seenCommand && arg === name) seenCommand = true;
      else if (!seenCommand) return undefined;
      else args.push(arg);
      continue;
    }
    if (arg === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    let key: string;
    let inline: string | undefined;
    let short = false;
    if (arg.startsWith("--")) {
      [key, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    } else if (arg.length === 2) {
      key = arg[1];
      short = true;
    } else return undefined;
    // After the command word its own options come first: in `logs`, -f follows; elsewhere it
    // names the stack file.
    const local = seenCommand ? find(command.options, key, short) : undefined;
    const option = local ?? find(FAST_GLOBALS, key, short);
    if (!option) return undefined;
    let value: string | boolean = true;
    if (option.value) {
      value = inline ?? argv[++i];
      if (value === undefined) return undefined;
    } else if (inline !== undefined) return undefined;
    const field = camel(option.long);
    if (local && option.repeat) opts[field] = [...(opts[field] as string[] ?? []), value as string];
    else if (local) opts[field] = value;
    else if (option.repeat) (globals[field] as string[]).push(value as string);
    else globals[field] = value;
  }
  if (!arity(command, args.length)) return undefined;
  return { command, args, opts, globals: globals as unknown as GlobalOptions };
}

/**
 * Runs a client command if the line is one this parser fully understands; otherwise undefined.
 * Errors from the command itself propagate (the caller maps them to exit codes).
 */
export async function runFast(argv: readonly string[], io: CliIO): Promise<number | undefined> {
  const line = parseFast(argv);
  if (!line) return undefined;
  return await line.command.run(io, line.args, line.opts, line.globals);
}
