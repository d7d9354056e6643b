/**
 * `-f` overrides: merging stack files (tables key by key, lists replaced) and finding a merged field
 * in the file that set it.
 *
 * @module
 */
import type { ConfigIssue } from "../domain/mod.ts";
import { type FieldPath, formatPath, type Locator } from "./source.ts";
import { isTable } from "./table.ts";

/** One file's contribution: its stack-file data, and how to find and name its fields. */
export interface FileResult {
  readonly file: string;
  readonly stackFile: Record<string, unknown>;
  readonly locate: Locator;
  readonly translate: (path: FieldPath) => FieldPath;
}

/**
 * Merges `b` over `a`: tables merge key by key, everything else (lists too) is replaced. The result's
 * tables have no prototype, so any key is a plain key.
 */
export function mergeDeep(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  for (const [key, value] of Object.entries(a)) out[key] = value;
  for (const [key, value] of Object.entries(b)) {
    const prev = Object.hasOwn(out, key) ? out[key] : undefined;
    out[key] = isTable(prev) && isTable(value) ? mergeDeep(prev, value) : value;
  }
  return out;
}

function has(data: unknown, path: FieldPath): number {
  let value = data;
  let depth = 0;
  for (const part of path) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, part)) break;
    value = (value as Record<string | number, unknown>)[part];
    depth++;
  }
  return depth;
}

/** A field of the merged data as the user wrote it: which file, which path there, and where. */
export interface UserField extends ConfigIssue {
  /** The path in that file's own terms (TOML formats name fields their way). */
  readonly userPath: FieldPath;
}

/** Finds a merged field in the last file that sets it (or most of its path). */
export function mergedLocator(results: readonly FileResult[]) {
  const pick = (path: FieldPath) => {
    let best = results[results.length - 1];
    let bestDepth = -1;
    for (let i = results.length - 1; i >= 0; i--) {
      const depth = has(results[i].stackFile, path);
      if (depth > bestDepth) {
        best = results[i];
        bestDepth = depth;
      }
    }
    return best;
  };
  const locate: Locator = (path, options) => {
    const r = pick(path);
    return r?.locate(r.translate(path), options);
  };
  return {
    file: results[0]?.file ?? "",
    locate,
    translate: (path: FieldPath) => pick(path)?.translate(path) ?? path,
    at(path: FieldPath): UserField {
      const r = pick(path);
      const userPath = r ? r.translate(path) : path;
      const pos = r?.locate(userPath);
      // Nothing of the path is written (an empty file): the file's start.
      return {
        file: r?.file ?? "",
        line: pos?.line ?? 1,
        column: pos?.column ?? 1,
        path: formatPath(userPath, { short: true }),
        message: "",
        userPath,
      };
    },
  };
}
