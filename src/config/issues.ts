/**
 * Turning schema validation issues into config issues a person can act on: file, line, column, field
 * path, and a did-you-mean for unknown fields and values.
 *
 * @module
 */
import type { z } from "./kit/mod.ts";
import { ArraySchema, ObjectSchema, RecordSchema } from "./kit/compound.ts";
import { Nullable, Optional, Pipe, Transform } from "./kit/schema.ts";
import { type ConfigIssue, didYouMean } from "../domain/mod.ts";
import { type FieldPath, formatPath, type Locator } from "./source.ts";
import { describe, tableValueSchema } from "./table.ts";

/** Where an issue found at a path of validated data is written, and under which path to report it. */
export interface IssueTarget {
  readonly file: string;
  readonly locate: Locator;
  /** Maps a path of validated data to the path as the user wrote it (for translated formats). */
  readonly translate?: (path: FieldPath) => FieldPath;
}

/** Unwraps optional, nullable, pipe and preprocess layers down to the schema that holds keys. */
function unwrap(schema: z.Schema | undefined): z.Schema | undefined {
  for (let i = 0; i < 20 && schema; i++) {
    if (tableValueSchema(schema)) break;
    if (schema instanceof Optional || schema instanceof Nullable) schema = schema.inner;
    else if (schema instanceof Pipe) {
      schema = schema.target instanceof Transform ? schema.source : schema.target;
    } else break;
  }
  return schema;
}

/** The field names a schema accepts at `path`, for did-you-mean on unknown fields. */
export function knownKeysAt(root: z.Schema, path: FieldPath): string[] {
  let schema = unwrap(root);
  for (const part of path) {
    const value = tableValueSchema(schema);
    if (value) {
      schema = unwrap(value);
      continue;
    }
    if (schema instanceof ObjectSchema) {
      schema = Object.hasOwn(schema.shape, part) ? unwrap(schema.shape[part as string]) : undefined;
    } else if (schema instanceof RecordSchema) schema = unwrap(schema.value);
    else if (schema instanceof ArraySchema) schema = unwrap(schema.element);
    else return [];
  }
  return schema instanceof ObjectSchema ? Object.keys(schema.shape) : [];
}

function valueAt(data: unknown, path: FieldPath): unknown {
  let value = data;
  for (const part of path) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, part)) {
      return undefined;
    }
    value = (value as Record<string | number, unknown>)[part];
  }
  return value;
}

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  object: "a table of fields",
  array: "a list",
  record: "a table",
};

/**
 * Adds `items` to the end of `into` one by one: `into.push(...items)` overflows the stack past some
 * 120,000 items, as many as one long list in a config file can give issues.
 */
export function pushAll<T>(into: T[], items: readonly T[]): void {
  for (const item of items) into.push(item);
}

/** Converts schema issues for `data` validated by `schema` into located config issues. */
export function toConfigIssues(
  schemaIssues: readonly z.Issue[],
  data: unknown,
  schema: z.Schema,
  target: IssueTarget,
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const translate = target.translate ?? ((p: FieldPath) => p);
  const at = (path: FieldPath, message: string, hint?: string, key = false) => {
    const userPath = translate(path);
    const pos = target.locate(userPath, { key });
    out.push({
      file: target.file,
      line: pos?.line,
      column: pos?.column,
      path: formatPath(userPath, { short: true }),
      message,
      ...(hint ? { hint } : {}),
    });
  };
  const visit = (issue: z.Issue, prefix: FieldPath) => {
    const path = [...prefix, ...issue.path] as (string | number)[];
    const value = valueAt(data, path);
    switch (issue.code) {
      case "unrecognized_keys": {
        const known = knownKeysAt(schema, path);
        for (const key of issue.keys) {
          at([...path, key], "unknown field", didYouMean(key, known), true);
        }
        return;
      }
      case "invalid_type": {
        if (value === undefined) {
          at(path, "is required");
        } else {
          const expected = Object.hasOwn(TYPE_NAMES, issue.expected)
            ? TYPE_NAMES[issue.expected]
            : issue.expected;
          at(path, `expected ${expected}, got ${describe(value)}`);
        }
        return;
      }
      case "invalid_value": {
        const values = issue.values.map((v) => String(v));
        // A shorthand (`restartPolicy: always`) is validated as a field of a table made from it.
        const parent = valueAt(data, path.slice(0, -1));
        const own = valueAt(data, path);
        const value = own === undefined && typeof parent !== "object" ? parent : own;
        at(
          path,
          `${describe(value)} is not one of: ${values.join(", ")}`,
          typeof value === "string" ? didYouMean(value, values) : undefined,
        );
        return;
      }
      case "invalid_union": {
        const branches = issue.errors.filter((errs) => errs.length > 0);
        const depth = (errs: z.Issue[]) => errs.reduce((n, e) => Math.max(n, e.path.length), 0);
        const deepest = branches.sort((a, b) => depth(b) - depth(a))[0];
        if (deepest && deepest.some((e) => e.path.length > 0)) {
          for (const inner of deepest) visit(inner, path);
        } else {
          at(path, `${describe(value)} is not valid here`);
        }
        return;
      }
      case "too_small":
        at(
          path,
          issue.origin === "array"
            ? `needs at least ${issue.minimum} item(s)`
            : `must be at least ${issue.minimum}, got ${describe(value)}`,
        );
        return;
      case "too_big":
        at(path, `must be at most ${issue.maximum}, got ${describe(value)}`);
        return;
      default:
        at(path, issue.message);
    }
  };
  for (const issue of schemaIssues) visit(issue, []);
  return out;
}
