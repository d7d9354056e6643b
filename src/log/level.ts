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
