/**
 * Terminal colour: only on a terminal, never with `NO_COLOR`.
 *
 * @module
 */

/** Whether to colour output written to stdout. */
export function colorEnabled(stream: { isTerminal(): boolean } = Deno.stdout): boolean {
  const noColor = Deno.env.get("NO_COLOR");
  if (noColor !== undefined && noColor !== "") return false;
  if (Deno.env.get("FORCE_COLOR")) return true;
  return stream.isTerminal();
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
