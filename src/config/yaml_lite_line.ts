/**
 * The pieces of yaml_lite.ts that read one line: keys, plain and quoted scalars, the core schema's
 * types, and what may follow a value. Anything outside the subset throws {@link Outside}.
 *
 * @module
 */
/** Thrown by the reader for text outside the subset; never leaves yaml_lite.ts's `parseLite`. */
export class Outside extends Error {}

export const outside = (): never => {
  throw new Outside();
};

/** Characters that cannot begin a plain scalar (`-` `?` `:` only before a space, checked apart). */
const INDICATORS = new Set([..."?:,[]{}#&*!|>'\"%@`"]);
const FLOW_END = new Set([..."[]{},"]);
/** What ends a plain scalar in a block (a comment, `: `) and in a flow (and `,[]{}`). */
const BLOCK_PLAIN_END = / #|:(?= |$)/g;
const FLOW_PLAIN_END = / #|[,[\]{}]|:(?=[ ,[\]{}]|$)/g;

/** Resolves a plain scalar on the core schema, in the `yaml` package's order of tags. */
export function resolvePlain(s: string): unknown {
  // Most are words: none of the core schema's other types begins with a letter but these.
  if (s !== "" && !/^[-+.0-9~nNtTfF]/.test(s)) return s;
  if (/^(?:~|[Nn]ull|NULL)?$/.test(s)) return null;
  if (/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(s)) return s[0] === "t" || s[0] === "T";
  if (/^0o[0-7]+$/.test(s)) return parseInt(s.slice(2), 8);
  if (/^[-+]?[0-9]+$/.test(s)) return parseInt(s, 10);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(s)) {
    return s.slice(-3).toLowerCase() === "nan" ? NaN : s[0] === "-" ? -Infinity : Infinity;
  }
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(s)) return parseFloat(s);
  return s;
}

const ESCAPES: Record<string, string> = {
  "0": "\0",
  a: "\x07",
  b: "\b",
  t: "\t",
  n: "\n",
  v: "\v",
  f: "\f",
  r: "\r",
  e: "\x1b",
  " ": " ",
  '"': '"',
  "/": "/",
  "\\": "\\",
  N: "\x85",
  _: "\xa0",
  L: "\u2028",
  P: "\u2029",
};
const HEX_DIGITS: Record<string, number> = { x: 2, u: 4, U: 8 };

export const isSeqIndicator = (line: string, col: number) =>
  line[col] === "-" && (col + 1 === line.length || line[col + 1] === " ");

/** Drops trailing spaces (only spaces: YAML's other white space is the tab, outside the subset). */
export const trimSpaces = (s: string) => s.replace(/ +$/, "");

export function skipSpaces(line: string, col: number): number {
  while (line.charCodeAt(col) === 32) col++;
  return col;
}

/** Only spaces, or spaces and a comment, may follow a value on its line. */
export function endOfLine(line: string, col: number): void {
  const rest = skipSpaces(line, col);
  if (rest < line.length && (line[rest] !== "#" || line[rest - 1] !== " ")) outside();
}

/**
 * A map key at `col`, plain or quoted on one line and followed by `:` and a space or the line's
 * end; `undefined` when the line holds no key there. Keys that are not strings leave the subset.
 */
export function scanKey(line: string, col: number): { name: string; end: number } | undefined {
  const c = line[col];
  let name: string;
  let end: number;
  if (c === '"' || c === "'") {
    [name, end] = quoted(line, col);
    end = skipSpaces(line, end);
  } else {
    if (startsNonPlain(line, col)) return undefined;
    end = plainEnd(line, col, false);
    if (line[end] !== ":") return undefined;
    name = plainKey(line, col, end);
  }
  if (line[end] !== ":" || (end + 1 < line.length && line[end + 1] !== " ")) return undefined;
  // YAML bounds an implicit key at 1024 characters; the package counts from the end of the entry
  // before when its value was empty (the line break and indentation too): a bound that holds both.
  if (end + 1 > 1024) outside();
  return { name, end: end + 1 };
}

/** A plain key from `col` to `end`: one that resolves to anything but a string leaves the subset. */
export function plainKey(line: string, col: number, end: number): string {
  const key = resolvePlain(trimSpaces(line.slice(col, end)));
  return typeof key === "string" && key !== "" ? key : outside();
}

function startsNonPlain(line: string, col: number): boolean {
  const c = line[col];
  if (c === "-" || c === "?" || c === ":") return col + 1 >= line.length || line[col + 1] === " ";
  return c === undefined || INDICATORS.has(c);
}

/**
 * Where a plain scalar from `col` ends: at a comment, at `: ` (or `:` ending the line), and in a
 * flow at `,[]{}` and `:` before one. Scalars beginning with an indicator leave the subset.
 */
export function plainEnd(line: string, col: number, flow: boolean): number {
  const c = line[col];
  const indicator = c === "-" || c === "?" || c === ":";
  if (startsNonPlain(line, col) || (flow && indicator && FLOW_END.has(line[col + 1]))) outside();
  const end = flow ? FLOW_PLAIN_END : BLOCK_PLAIN_END;
  end.lastIndex = col;
  const found = end.exec(line);
  return found === null ? line.length : found[0] === " #" ? found.index + 1 : found.index;
}

/** A quoted scalar on one line from `col`: its text and the column after its closing quote. */
export function quoted(line: string, col: number): [string, number] {
  const q = line[col];
  const close = line.indexOf(q, col + 1);
  const escape = q === '"' ? line.indexOf("\\", col + 1) : -1;
  // Most have nothing to unescape.
  if (close > 0 && (escape < 0 || escape > close) && line[close + 1] !== q) {
    return [line.slice(col + 1, close), close + 1];
  }
  let out = "";
  for (let i = col + 1; i < line.length; i++) {
    const c = line[i];
    if (c === q) {
      if (q === "'" && line[i + 1] === "'") {
        out += "'";
        i++;
        continue;
      }
      return [out, i + 1];
    }
    if (c !== "\\" || q === "'") {
      out += c;
      continue;
    }
    const e = line[++i];
    const digits = HEX_DIGITS[e];
    if (digits) {
      const hex = line.slice(i + 1, i + 1 + digits);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== digits) outside();
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) outside();
      out += String.fromCodePoint(code);
      i += digits;
    } else if (e !== undefined && e in ESCAPES) out += ESCAPES[e];
    else outside();
  }
  return outside();
}
