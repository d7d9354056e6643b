/**
 * Salvage: validating what can be validated when some fields are wrong. Each field that fails is
 * dropped (a value that lacks a required field goes with it) until what is left parses, so that the
 * checks that need the whole stack still run and every error is reported at once. What was dropped
 * is remembered, so that an error caused only by the drop is not reported as well.
 *
 * @module
 */
import type { z } from "./kit/mod.ts";
import type { FieldPath } from "./source.ts";
import { isTable } from "./table.ts";

/** The outcome: the parsed remainder (undefined if nothing could be kept), the first issues, and the
 * paths that were dropped or replaced. */
export interface Salvaged<T> {
  readonly data: T | undefined;
  readonly issues: readonly z.Issue[];
  readonly dropped: readonly FieldPath[];
}

/** What to put in place of a dropped value at `path`: a value, or `undefined` to remove it. */
export type Replacement = (path: FieldPath) => unknown;

const ROUNDS = 64;

/** Parses `data` with `schema`, dropping what fails; see the module doc. */
// deno-lint-ignore no-explicit-any
export function salvage<S extends z.Schema<any>>(
  schema: S,
  data: unknown,
  replace: Replacement = () => undefined,
): Salvaged<z.output<S>> {
  let current = data;
  let first: z.Issue[] | undefined;
  const dropped: FieldPath[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const parsed = schema.safeParse(current);
    if (parsed.success) return { data: parsed.data, issues: first ?? [], dropped };
    first ??= parsed.error.issues;
    // Every drop of a round is made in one copy, so that thousands of bad fields cost one pass.
    const round: Trie = { children: new Map() };
    let changed = false;
    for (const issue of parsed.error.issues) {
      const paths = issue.code === "unrecognized_keys"
        ? issue.keys.map((k) => [...issue.path, k])
        : [issue.path];
      for (const path of paths as (string | number)[][]) {
        // A missing value (a required field) cannot be dropped: drop what lacks it.
        let target = path;
        while (target.length > 0 && !exists(current, target)) target = target.slice(0, -1);
        if (target.length === 0) continue;
        if (mark(round, target, replace(target))) {
          dropped.push(target);
          changed = true;
        }
      }
    }
    if (!changed) break;
    current = rebuild(current, round);
  }
  return { data: undefined, issues: first ?? [], dropped };
}

/**
 * The paths dropped, for asking whether an issue may only be a consequence of a drop: its path is a
 * dropped one or inside it; or it says that something is `missing` (no probe, no services) where
 * something was dropped (`services.a.health` after `services.a.health.log` was dropped). Paths are
 * compared part by part, so `services.a` says nothing of `services.api`.
 */
export class DropIndex {
  readonly #dropped = new Set<string>();
  readonly #holding = new Set<string>();

  constructor(paths: Iterable<FieldPath> = []) {
    for (const path of paths) this.add(path);
  }

  /** Records a dropped path. */
  add(path: FieldPath): void {
    let key = "";
    for (const part of path) {
      this.#holding.add(key);
      key += `\u0000${String(part)}`;
    }
    this.#dropped.add(key);
    this.#holding.add(key);
  }

  /** Whether an issue at `path` follows from a drop (see the class doc). */
  explains(path: FieldPath, missing = false): boolean {
    let key = "";
    if (this.#dropped.has(key)) return true;
    for (const part of path) {
      key += `\u0000${String(part)}`;
      if (this.#dropped.has(key)) return true;
    }
    return missing && this.#holding.has(key);
  }
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

/** The drops of one round, as a tree of path parts. */
interface Trie {
  readonly children: Map<string, Trie>;
  drop?: { readonly replacement: unknown };
}

/** Marks `path` for dropping; false when it (or a value holding it) is marked already. */
function mark(root: Trie, path: FieldPath, replacement: unknown): boolean {
  let node = root;
  for (const part of path) {
    if (node.drop) return false;
    const key = String(part);
    let next = node.children.get(key);
    if (!next) node.children.set(key, next = { children: new Map() });
    node = next;
  }
  if (node.drop) return false;
  node.drop = { replacement };
  return true;
}

const REMOVED = Symbol("removed");

/** A copy of `data` with the marked values removed (or replaced); unmarked values are shared. */
function rebuild(data: unknown, node: Trie): unknown {
  if (node.drop) return node.drop.replacement === undefined ? REMOVED : node.drop.replacement;
  if (node.children.size === 0) return data;
  if (Array.isArray(data)) {
    return data.map((item, i) => {
      const child = node.children.get(String(i));
      return child ? rebuild(item, child) : item;
    }).filter((item) => item !== REMOVED);
  }
  if (isTable(data)) {
    const out: Record<string, unknown> = Object.create(null);
    for (const [key, value] of Object.entries(data)) {
      const child = node.children.get(key);
      const next = child ? rebuild(value, child) : value;
      if (next !== REMOVED) out[key] = next;
    }
    return out;
  }
  return data;
}
