/**
 * The shape of a client command in the command table (`client_commands.ts`, `flow_specs.ts`):
 * its arguments, options and what it runs.
 *
 * @module
 */
import type { CliIO } from "./io.ts";

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
  /** Conducktor's name of `--host`. */
  readonly hostPort?: string;
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
