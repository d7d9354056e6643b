/**
 * Salvage: validating what can be validated when some fields are wrong. Each field that fails is
 * dropped (a value that lacks a required field goes with it) until what is left parses, so that the
 * checks that need the whole stack still run and every error is reported at once. What was dropped
 * is remembered, so that an error caused only by the drop is not reported as well.
 *
 * @module
 */
import type { z } from "zod";
import type { FieldPath } from "./source.ts";
import { isTable } from "./table.ts";

/** The outcome: the parsed remainder (undefined if nothing could be kept), the first issues, and the
 * paths that were dropped or replaced. */
export interface Salvaged<T> {
  readonly data: T | undefined;
  readonly issues: readonly z.core.$ZodIssue[];
  readonly dropped: readonly FieldPath[];
}

/** What to put in place of a dropped value at `path`: a value, or `undefined` to remove it. */
export type Replacement = (path: FieldPath) => unknown;

const ROUNDS = 64;

/** Parses `data` with `schema`, dropping what fails; see the module doc. */
// deno-lint-ignore no-explicit-any
export function salvage<S extends z.ZodType<any>>(
  schema: S,
  data: unknown,
  replace: Replacement = () => undefined,
): Salvaged<z.output<S>> {
  let current = data;
  let first: z.core.$ZodIssue[] | undefined;
  const dropped: FieldPath[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const parsed = schema.safeParse(current);
    if (parsed.success) return { data: parsed.data, issues: first ?? [], dropped };
    first ??= parsed.error.issues;
    let changed = false;
    for (const issue of parsed.error.issues) {
      const paths = issue.code === "unrecognized_keys"
        ? issue.keys.map((k) => [...issue.path, k])
        : [issue.path];
      for (const path of paths as (string | number)[][]) {
        // A missing value (a required field) cannot be dropped: drop what lacks it.
        let target = path;
        while (target.length > 0 && !exists(current, target)) target = target.slice(0, -1);
        const next = target.length === 0 ? undefined : dropAt(current, target, replace(target));
        if (next === undefined || next === current) continue;
        current = next;
        dropped.push(target);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return { data: undefined, issues: first ?? [], dropped };
}

/**
 * Whether an issue at `path` may only be a consequence of dropping `dropped`: the path is the dropped
 * one or inside it; or the issue says that something is `missing` (no probe, no services) where
 * something was dropped (`services.a.health` after `services.a.health.log` was dropped).
 */
export function followsFrom(path: FieldPath, dropped: FieldPath, missing = false): boolean {
  const n = Math.min(path.length, dropped.length);
  for (let i = 0; i < n; i++) if (String(path[i]) !== String(dropped[i])) return false;
  return path.length >= dropped.length || missing;
}

function exists(data: unknown, path: FieldPath): boolean {
  let value = data;
  for (const part of path) {
    if (Array.isArray(value) && typeof part === "number" && part < value.length) {
      value = value[part];
    } else if (isTable(value) && Object.hasOwn(value, part)) {
      value = value[part as string];
    } else return false;
  }
  return true;
}

/** A copy of `data` without the value at `path` (or with `replacement` there). */
function dropAt(data: unknown, path: FieldPath, replacement: unknown): unknown {
  const [head, ...rest] = path;
  if (Array.isArray(data) && typeof head === "number") {
    if (rest.length > 0) {
      return data.map((item, i) => (i === head ? dropAt(item, rest, replacement) : item));
    }
    return replacement === undefined
      ? data.filter((_, i) => i !== head)
      : data.map((item, i) => (i === head ? replacement : item));
  }
  if (isTable(data)) {
    const out: Record<string, unknown> = Object.create(null);
    for (const [key, value] of Object.entries(data)) {
      if (key !== String(head)) out[key] = value;
      else if (rest.length > 0) out[key] = dropAt(value, rest, replacement);
      else if (replacement !== undefined) out[key] = replacement;
    }
    return out;
  }
  return data;
}
