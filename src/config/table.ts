/**
 * Tables keyed by a user's names (services, env, labels, headers): validated like `z.record`, but
 * built as null-prototype objects, so that `__proto__`, `constructor` or `toString` are plain keys
 * (the kit's record, like zod's, drops `__proto__`).
 *
 * @module
 */
import { z } from "./kit/mod.ts";
import { quote } from "../domain/mod.ts";

/** A null-prototype object holding `entries`. */
export function nullTable<T>(entries: Iterable<readonly [string, T]> = []): Record<string, T> {
  const out: Record<string, T> = Object.create(null);
  for (const [key, value] of entries) out[key] = value;
  return out;
}

/** Whether a value is a table: a plain object (not null, a list, a date, a set or bytes). */
export function isTable(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

// deno-lint-ignore no-explicit-any
const valueSchemas = new WeakMap<object, any>();

/** The value schema of a {@link table} schema, for did-you-mean on the fields under it. */
// deno-lint-ignore no-explicit-any
export function tableValueSchema(schema: unknown): any {
  return schema && typeof schema === "object" ? valueSchemas.get(schema) : undefined;
}

/** How a value is named in a message: its kind, and a short excerpt of a scalar. */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (value instanceof Date) return "a date";
  if (typeof value === "object") return isTable(value) ? "a table" : "a value of a YAML type tag";
  return typeof value === "string" ? `string ${quote(value)}` : `${typeof value} ${String(value)}`;
}

/**
 * A table of `value`s, keyed by any string. Issues of a value carry its key in their path.
 *
 * @example
 * ```ts
 * import { z } from "./kit/mod.ts";
 * import { table } from "./table.ts";
 * const env = table(z.string()).parse(JSON.parse('{"__proto__": "x"}'));
 * Object.hasOwn(env, "__proto__"); // true
 * ```
 */
export function table<O>(value: z.Schema<O>) {
  const schema = z.unknown().transform((input, ctx): Record<string, O> => {
    if (!isTable(input)) {
      ctx.addIssue({ code: "custom", message: `expected a table, got ${describe(input)}` });
      return z.NEVER;
    }
    const out = nullTable<O>();
    for (const [key, item] of Object.entries(input)) {
      const parsed = value.safeParse(item);
      if (parsed.success) {
        out[key] = parsed.data;
      } else {
        for (const issue of parsed.error.issues) {
          ctx.addIssue({ ...issue, path: [key, ...issue.path] } as z.IssueInput);
        }
      }
    }
    return out;
  });
  valueSchemas.set(schema, value);
  return schema;
}
