/**
 * Terminal colour: only on a terminal, never with `NO_COLOR`; the environment is the CLI's, given
 * as a parameter.
 *
 * @module
 */

/**
 * Whether to colour output: never with `NO_COLOR` set (not empty), always with `FORCE_COLOR`,
 * else on a terminal.
 *
 * @param env The environment (the CLI's, `io.env`).
 * @param isTerminal Whether the output goes to a terminal.
 */
export function colorEnabled(
  env: (name: string) => string | undefined,
  isTerminal: boolean,
): boolean {
  const noColor = env("NO_COLOR");
  if (noColor !== undefined && noColor !== "") return false;
  if (env("FORCE_COLOR")) return true;
  return isTerminal;
}

/** The style of a command's output to `io` (no colour when `wanted` is false). */
export function styleOf(
  io: { readonly env: (name: string) => string | undefined; readonly isTerminal: boolean },
  wanted = true,
): Style {
  return makeStyle(wanted && colorEnabled(io.env, io.isTerminal));
}

/** ANSI styles that become no-ops when colour is off. */
export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  blue(text: string): string;
  cyan(text: string): string;
  magenta(text: string): string;
  /** One of a palette of distinct colours, chosen by index: for service prefixes. */
  pick(index: number, text: string): string;
}

const PALETTE = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

/** Builds a {@link Style}. */
export function makeStyle(enabled: boolean): Style {
  const wrap = (code: number) => (text: string) => enabled ? `\x1b[${code}m${text}\x1b[0m` : text;
  return {
    enabled,
    bold: wrap(1),
    dim: wrap(2),
    red: wrap(31),
    green: wrap(32),
    yellow: wrap(33),
    blue: wrap(34),
    magenta: wrap(35),
    cyan: wrap(36),
    pick: (index, text) => wrap(PALETTE[index % PALETTE.length])(text),
  };
}
