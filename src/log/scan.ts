/**
 * Matching stored NDJSON lines against a query on their bytes, without decoding them: LogHub writes
 * every record with the same prefix (`{"ts":"<ISO time>","seq":N,"service":"<name>",...,
 * "level":"<level>",...`), so the time compares as bytes (ISO times in UTC sort as text), and the
 * service and level are found by their keys. A line in any other form is left to the caller.
 *
 * @module
 */
import { atLeast, LEVELS, type LogQuery } from "../domain/mod.ts";

const encoder = new TextEncoder();
const PREFIX = encoder.encode('{"ts":"');
const SERVICE = encoder.encode('"service":');
const LEVEL = encoder.encode('"level":"');
/** Where the time ends: `{"ts":"` is 7 bytes, an ISO time 24, then its closing quote. */
const TIME_END = 31;

function hasAt(bytes: Uint8Array, at: number, end: number, needle: Uint8Array): boolean {
  if (at + needle.length > end) return false;
  for (let i = 0; i < needle.length; i++) if (bytes[at + i] !== needle[i]) return false;
  return true;
}

function find(bytes: Uint8Array, from: number, end: number, needle: Uint8Array): number {
  for (let at = from; at <= end - needle.length; at++) {
    at = bytes.indexOf(needle[0], at);
    if (at < 0 || at > end - needle.length) return -1;
    if (hasAt(bytes, at, end, needle)) return at;
  }
  return -1;
}

/**
 * A matcher of the line `bytes[start, end)` against `query`: true or false, or undefined when
 * the line is not in LogHub's form (the caller then parses it).
 */
export function byteMatcher(
  query: LogQuery,
): (bytes: Uint8Array, start: number, end: number) => boolean | undefined {
  const since = query.since === undefined
    ? undefined
    : encoder.encode(new Date(query.since).toISOString());
  const services = query.services?.length
    ? query.services.map((s) => encoder.encode(`${JSON.stringify(s)},`))
    : undefined;
  const levels = query.minLevel
    ? LEVELS.filter((l) => atLeast(l, query.minLevel!)).map((l) => encoder.encode(`"level":"${l}"`))
    : undefined;
  // A time of a year past 9999 is not 24 characters: such a query parses every line.
  if (since !== undefined && since.length !== 24) return () => undefined;
  return (bytes, start, end) => {
    if (
      end - start <= TIME_END || !hasAt(bytes, start, end, PREFIX) ||
      bytes[start + 30] !== 0x5a /* Z */ || bytes[start + TIME_END] !== 0x22 /* " */
    ) {
      return undefined;
    }
    if (since) {
      for (let i = 0; i < 24; i++) {
        const d = bytes[start + 7 + i] - since[i];
        if (d < 0) return false;
        if (d > 0) break;
      }
    }
    if (services) {
      const at = find(bytes, start + TIME_END, end, SERVICE);
      if (at < 0) return undefined;
      if (!services.some((s) => hasAt(bytes, at + SERVICE.length, end, s))) return false;
    }
    if (levels) {
      const at = find(bytes, start + TIME_END, end, LEVEL);
      if (at < 0) return undefined;
      if (!levels.some((l) => hasAt(bytes, at, end, l))) return false;
    }
    return true;
  };
}
