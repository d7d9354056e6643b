/**
 * Variable interpolation in string values: `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?message}`, `${VAR?message}`, and `$$` for a literal `$`. A bare `$VAR` is left for the
 * shell, so that `sh -c 'for i in 1 2; do echo $i; done'` keeps working.
 *
 * @module
 */
import type { FieldPath } from "./source.ts";
import { clip, DEFERRED_VARIABLES, isReplicaArithmetic, quote } from "../domain/mod.ts";

/** A variable that could not be substituted, at a field path. */
export interface InterpolationIssue {
  readonly path: FieldPath;
  readonly message: string;
}

const PATTERN =
  /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])((?:[^}\\]|\\.)*))?\}|(\{[^}]*\}?))/g;

/** Substitutes variables in one string; `$$` stays `$$` until {@link expandDeferred} runs. */
export function interpolateString(
  text: string,
  lookup: (name: string) => string | undefined,
): { value: string; errors: string[] } {
  const errors: string[] = [];
  const value = text.replace(
    PATTERN,
    (whole, dollar, name, colon, op, arg, bad) => {
      if (dollar) return "$$";
      if (name !== undefined && DEFERRED_VARIABLES.has(name)) return whole;
      if (bad !== undefined) {
        const inner = bad.replace(/^\{|\}$/g, "");
        if (bad.endsWith("}") && isReplicaArithmetic(inner)) return whole;
        errors.push(
          /\bORCH_REPLICA\b/.test(inner)
            ? `bad variable reference ${
              quote(whole, 60)
            } (arithmetic on ORCH_REPLICA takes integers, +, - and *)`
            : `bad variable reference ${quote(whole, 60)}`,
        );
        return whole;
      }
      const current = lookup(name);
      const missing = colon ? current === undefined || current === "" : current === undefined;
      if (op === "-") return missing ? arg : current!;
      if (op === "?") {
        if (missing) {
          errors.push(arg ? `${name}: ${clip(arg, 200)}` : `required variable ${name} is not set`);
        }
        return current ?? "";
      }
      return current ?? "";
    },
  );
  return { value, errors };
}

/**
 * Substitutes variables in every string of a data tree (keys are left alone). Tables come out with
 * no prototype, so that any key (`__proto__` too) stays a plain key.
 */
export function interpolateTree(
  data: unknown,
  lookup: (name: string) => string | undefined,
): { data: unknown; issues: InterpolationIssue[] } {
  const issues: InterpolationIssue[] = [];
  const walk = (value: unknown, path: (string | number)[]): unknown => {
    if (typeof value === "string") {
      if (!value.includes("$")) return value;
      const result = interpolateString(value, lookup);
      // A value full of bad references needs a few examples, not thousands.
      for (const message of result.errors.slice(0, 3)) issues.push({ path, message });
      return result.value;
    }
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]));
    if (value !== null && typeof value === "object" && !(value instanceof Date)) {
      const out: Record<string, unknown> = Object.create(null);
      for (const [key, item] of Object.entries(value)) out[key] = walk(item, [...path, key]);
      return out;
    }
    return value;
  };
  return { data: walk(data, []), issues };
}
