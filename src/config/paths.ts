/**
 * Field paths in config files and where they are written: the path type, line and column, the
 * locator that finds a field in a file, what parsing a file gives, and path formatting.
 *
 * @module
 */
import { type ConfigIssue, quote } from "../domain/mod.ts";

/** A field path: keys and array indexes. */
export type FieldPath = readonly (string | number)[];

/** A line and column, from 1. */
export interface LineCol {
  readonly line: number;
  readonly column: number;
}

/**
 * Finds where a field is written. `key: true` asks for the key itself (for unknown fields) rather than
 * its value. Falls back to the nearest ancestor that is written.
 */
export type Locator = (path: FieldPath, options?: { key?: boolean }) => LineCol | undefined;

/** A parsed file: its data and how to find fields in it. */
export interface ParsedSource {
  readonly file: string;
  readonly syntax: "yaml" | "toml";
  readonly data: unknown;
  readonly locate: Locator;
}

/** What parsing gives: the source, or the issues that stopped it. */
export type ParseOutcome = { ok: true; source: ParsedSource } | {
  ok: false;
  issues: ConfigIssue[];
};

/** The deepest tables and lists may nest in a config file (a stack file needs about 6). */
export const MAX_DEPTH = 64;

/**
 * Formats a path as `services.api.dependsOn[0].target`. With `short`, for messages, a long key is
 * quoted in part (the full form is exact, for looking positions up).
 */
export function formatPath(path: FieldPath, options?: { short?: boolean }): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (options?.short && part.length > 60) out += `[${quote(part, 60)}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/**
 * The path of the first value nested deeper than `limit`, or undefined. Walks with its own stack,
 * so that any depth is safe; shared values (YAML aliases) are walked as often as they are used, so
 * the caller bounds alias expansion first.
 */
export function tooDeep(data: unknown, limit: number): FieldPath | undefined {
  const pending: { value: unknown; path: FieldPath }[] = [{ value: data, path: [] }];
  while (pending.length > 0) {
    const { value, path } = pending.pop()!;
    if (value === null || typeof value !== "object" || value instanceof Date) continue;
    if (path.length >= limit) return path;
    if (Array.isArray(value)) {
      value.forEach((item, i) => pending.push({ value: item, path: [...path, i] }));
    } else {
      for (const [key, item] of Object.entries(value)) {
        pending.push({ value: item, path: [...path, key] });
      }
    }
  }
  return undefined;
}
