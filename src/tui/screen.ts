/**
 * A cell buffer and the ANSI that turns one frame into the next: only the cells that changed are
 * written, with the fewest cursor moves and style switches.
 *
 * @module
 */
import { charWidth } from "./text.ts";

/** A style: foreground colour (0 = default, else an ANSI 256 index + 1) and attributes. */
export interface Style {
  readonly fg?: number;
  readonly bg?: number;
  readonly bold?: boolean;
  readonly dim?: boolean;
  readonly inverse?: boolean;
  readonly underline?: boolean;
}

/** Named colours (ANSI 256 indexes). */
export const COLOR = {
  red: 1,
  green: 2,
  yellow: 3,
  blue: 4,
  magenta: 5,
  cyan: 6,
  white: 7,
  gray: 8,
  brightRed: 9,
  brightGreen: 10,
  brightYellow: 11,
  brightBlue: 12,
  brightMagenta: 13,
  brightCyan: 14,
} as const;

const PLAIN: Style = {};

function styleKey(s: Style): string {
  return `${s.fg ?? ""}|${s.bg ?? ""}|${s.bold ? 1 : 0}${s.dim ? 1 : 0}${s.inverse ? 1 : 0}${
    s.underline ? 1 : 0
  }`;
}

function sgr(s: Style): string {
  const codes = ["0"];
  if (s.bold) codes.push("1");
  if (s.dim) codes.push("2");
  if (s.underline) codes.push("4");
  if (s.inverse) codes.push("7");
  if (s.fg !== undefined) codes.push(`38;5;${s.fg}`);
  if (s.bg !== undefined) codes.push(`48;5;${s.bg}`);
  return `\x1b[${codes.join(";")}m`;
}

/** One cell: a character (or "" for the right half of a wide one) and its style. */
interface Cell {
  ch: string;
  style: Style;
  key: string;
}

/** A width x height grid of cells. */
export class Buffer {
  readonly width: number;
  readonly height: number;
  readonly cells: Cell[];

  constructor(width: number, height: number) {
    this.width = Math.max(0, width);
    this.height = Math.max(0, height);
    this.cells = Array.from({ length: this.width * this.height }, () => ({
      ch: " ",
      style: PLAIN,
      key: styleKey(PLAIN),
    }));
  }

  /** Writes `text` at (x, y), clipped to the row; returns the column after it. */
  put(x: number, y: number, text: string, style: Style = PLAIN, maxX = this.width): number {
    if (y < 0 || y >= this.height) return x;
    const key = styleKey(style);
    const limit = Math.min(maxX, this.width);
    for (const ch of text) {
      const w = charWidth(ch.codePointAt(0)!);
      if (w === 0) continue;
      if (x + w > limit) break;
      if (x >= 0) {
        this.cells[y * this.width + x] = { ch, style, key };
        if (w === 2) this.cells[y * this.width + x + 1] = { ch: "", style, key };
      }
      x += w;
    }
    return x;
  }

  /** Fills a row from `x` to the end with spaces in `style`. */
  fill(x: number, y: number, style: Style = PLAIN, maxX = this.width): void {
    if (y < 0 || y >= this.height) return;
    const key = styleKey(style);
    for (let i = Math.max(0, x); i < Math.min(maxX, this.width); i++) {
      this.cells[y * this.width + i] = { ch: " ", style, key };
    }
  }

  /** The text of a row (for tests). */
  row(y: number): string {
    let out = "";
    for (let x = 0; x < this.width; x++) out += this.cells[y * this.width + x].ch;
    return out.trimEnd();
  }

  /** Every row's text (for tests). */
  text(): string {
    return Array.from({ length: this.height }, (_, y) => this.row(y)).join("\n");
  }

  /** The style at a cell (for tests). */
  styleAt(x: number, y: number): Style {
    return this.cells[y * this.width + x].style;
  }
}

/**
 * The ANSI that turns `previous` into `next` on the terminal: everything when there is no previous
 * frame or the size changed, else only the changed cells.
 */
export function diff(previous: Buffer | undefined, next: Buffer): string {
  const full = !previous || previous.width !== next.width || previous.height !== next.height;
  let out = full ? "\x1b[0m\x1b[2J" : "";
  let cursor = -1;
  let current = "";
  for (let y = 0; y < next.height; y++) {
    for (let x = 0; x < next.width; x++) {
      const i = y * next.width + x;
      const cell = next.cells[i];
      if (cell.ch === "") continue;
      const old = full ? undefined : previous!.cells[i];
      const wide = x + 1 < next.width && next.cells[i + 1].ch === "";
      const oldWide = !full && x + 1 < next.width && previous!.cells[i + 1].ch === "";
      if (old && old.ch === cell.ch && old.key === cell.key && wide === oldWide) continue;
      if (cursor !== i) out += `\x1b[${y + 1};${x + 1}H`;
      if (current !== cell.key) {
        out += sgr(cell.style);
        current = cell.key;
      }
      out += cell.ch;
      cursor = i + (wide ? 2 : 1);
      if (x + (wide ? 2 : 1) >= next.width) cursor = -1; // the cursor may not wrap as expected
    }
  }
  if (current !== "" && current !== styleKey(PLAIN)) out += "\x1b[0m";
  return out;
}
