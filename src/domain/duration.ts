/**
 * Durations: typed strings such as `"500ms"`, `"2s"`, `"1m30s"`, or plain numbers meaning seconds.
 * Parsed once, at the config boundary, into milliseconds.
 *
 * @module
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/**
 * Parses a duration into milliseconds.
 *
 * @param input A string like `"1m30s"` or a number of seconds.
 * @returns The duration in milliseconds, or `undefined` when the input is not a duration.
 * @example
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * parseDuration("1m30s"); // 90000
 * parseDuration(2); // 2000
 * ```
 */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === "number") {
    return Number.isFinite(input) && input >= 0 ? Math.round(input * 1000) : undefined;
  }
  const text = input.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (!match || match.index !== start) return undefined;
    total += Number(match[1]) * UNIT_MS[match[2]];
  }
  return Math.round(total);
}

/**
 * Formats milliseconds the way the status table shows ages: `850ms`, `12s`, `1m12s`, `2h3m`, `3d4h`.
 *
 * @param ms A non-negative number of milliseconds.
 * @returns A short human duration.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
}

/**
 * A point in time given as a duration back from `now` (`10m`), an ISO 8601 time, or milliseconds
 * since the epoch (10 digits or more); undefined when it is none of these.
 *
 * @example
 * ```ts
 * import { parseTimeAgo } from "./duration.ts";
 * parseTimeAgo("10m", 3_600_000); // 3_000_000
 * ```
 */
export function parseTimeAgo(value: string, now: number): number | undefined {
  const ago = parseDuration(value);
  if (ago !== undefined && !/^\d{10,}$/.test(value)) return now - ago;
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at;
}
