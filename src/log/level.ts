/**
 * Guessing a line's level: JSON logs' `level` (or `lvl`, `severity`), logfmt `level=`, or a common
 * prefix such as `ERROR`, `[warn]`, `W1121`.
 *
 * @module
 */
import type { Level } from "../domain/mod.ts";

const NAMES: Record<string, Level> = {
  trace: "trace",
  debug: "debug",
  dbg: "debug",
  info: "info",
  inf: "info",
  notice: "info",
  warn: "warn",
  warning: "warn",
  wrn: "warn",
  error: "error",
  err: "error",
  fatal: "fatal",
  crit: "fatal",
  critical: "fatal",
  panic: "fatal",
  emerg: "fatal",
  alert: "fatal",
};

const PREFIX =
  /^\s*(?:\d{4}-\d\d-\d\d[T ][\d:.]+\S*\s+)?[[(<]?(trace|debug|dbg|info|inf|notice|warn(?:ing)?|wrn|error|err|fatal|crit(?:ical)?|panic|emerg|alert)[\])>]?(?:[:\s|]|$)/i;
const LOGFMT = /(?:^|\s)(?:level|lvl|severity)=["']?([a-z]+)/i;

/** The level of a line, or `fallback` when it shows none. */
export function detectLevel(line: string, fallback: Level = "info"): Level {
  if (line.startsWith("{")) {
    try {
      const data = JSON.parse(line);
      const value = data?.level ?? data?.lvl ?? data?.severity ?? data?.levelname;
      if (typeof value === "string") return NAMES[value.toLowerCase()] ?? fallback;
      if (typeof value === "number") {
        // pino/bunyan numeric levels
        return value >= 60
          ? "fatal"
          : value >= 50
          ? "error"
          : value >= 40
          ? "warn"
          : value >= 30
          ? "info"
          : value >= 20
          ? "debug"
          : "trace";
      }
    } catch {
      // not JSON after all
    }
  }
  const prefix = PREFIX.exec(line);
  if (prefix) return NAMES[prefix[1].toLowerCase()] ?? fallback;
  const logfmt = LOGFMT.exec(line);
  if (logfmt) return NAMES[logfmt[1].toLowerCase()] ?? fallback;
  return fallback;
}

/** The names a level prefix may use, lower case (log.wat has them too, 8 bytes each). */
export const LEVEL_WORDS: readonly string[] = Object.keys(NAMES);
const LONGEST = Math.max(...LEVEL_WORDS.map((w) => w.length));
const SHORTEST = Math.min(...LEVEL_WORDS.map((w) => w.length));
const isWord = (text: string) => Object.hasOwn(NAMES, text);

const lower = (b: number) => (b >= 0x41 && b <= 0x5a ? b + 32 : b);
const isLetter = (b: number) => (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a;
const isDigit = (b: number) => b >= 0x30 && b <= 0x39;

/**
 * Whether the line `bytes[start, end)` may show a level, decided on its bytes: false when
 * {@link detectLevel} would certainly find none (no JSON, no `=`, no level word or date first),
 * so that most lines never become a string. `hasEquals` says whether the line holds an `=`;
 * `nonAscii` whether it holds a multi-byte character.
 */
export function mayShowLevel(
  bytes: Uint8Array,
  start: number,
  end: number,
  hasEquals: boolean,
  nonAscii: boolean,
): boolean {
  if (hasEquals) return true; // logfmt
  let i = start;
  // \s: space, tab, vertical tab, form feed, carriage return (Unicode spaces: see below).
  while (i < end && (bytes[i] === 0x20 || (bytes[i] >= 0x09 && bytes[i] <= 0x0d))) i++;
  if (i === end) return false;
  const b = bytes[i];
  if (b >= 0x80) return nonAscii; // a Unicode space, perhaps, before a prefix
  if (b === 0x7b) return i === start; // JSON
  if (isDigit(b)) {
    // An ISO date first: \d{4}-
    return i + 4 < end && isDigit(bytes[i + 1]) && isDigit(bytes[i + 2]) &&
      isDigit(bytes[i + 3]) && bytes[i + 4] === 0x2d;
  }
  if (b === 0x5b || b === 0x28 || b === 0x3c) i++; // [ ( <
  let n = 0;
  while (i + n < end && isLetter(bytes[i + n])) n++;
  // Level words are 3 to 8 letters: most lines stop here.
  if (n < SHORTEST || n > LONGEST) return false;
  let word = "";
  for (let k = 0; k < n; k++) word += String.fromCharCode(lower(bytes[i + k]));
  return isWord(word);
}
