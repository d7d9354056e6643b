/**
 * What kit_test.ts and kit_edges_test.ts share to hold src/config/kit/ to npm zod: a schema built
 * by either library, and what the config layer reads of an issue.
 *
 * @module
 */

/** A schema of either library, as the comparisons call it. */
// deno-lint-ignore no-explicit-any
export type Parser = { safeParse(value: unknown): any };
/** Builds the same schema from either library's `z`. */
// deno-lint-ignore no-explicit-any
export type Builder = (z: any) => Parser;

/** What the config layer reads of an issue (messages aside: zod's come from its locale). */
// deno-lint-ignore no-explicit-any
export function shape(issue: any): unknown {
  const out: Record<string, unknown> = { code: issue.code, path: issue.path };
  for (const key of ["expected", "keys", "values", "minimum", "maximum", "origin", "inclusive"]) {
    if (key in issue) out[key] = issue[key];
  }
  if (issue.code === "custom" || issue.code === "invalid_format") out.message = issue.message;
  // deno-lint-ignore no-explicit-any
  if (issue.errors) out.errors = issue.errors.map((branch: any[]) => branch.map(shape));
  return out;
}
