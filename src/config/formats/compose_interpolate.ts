/**
 * Compose's interpolation, which differs from orch's: a bare `$VAR` is interpolated too, and a `$`
 * that starts no variable stays as it is. `${VAR}`, `${VAR:-d}` (unset or empty), `${VAR-d}` (unset),
 * `${VAR:?e}` and `${VAR?e}` (required), `${VAR:+r}` and `${VAR+r}` (alternative), nested in each
 * other; `$$` is a literal `$`. An unset variable without a default is a warning and an empty
 * string. Applied to values only, per file, before files are merged.
 *
 * @module
 */
import type { FieldPath } from "../source.ts";

/** What interpolating one string found. */
export interface ComposeInterpolation {
  readonly value: string;
  /** Required variables that were missing, and malformed references. */
  readonly errors: string[];
  /** Variables used without a value or default. */
  readonly unset: string[];
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/** Interpolates one string as Compose does; the result is the literal value (no `$$` left). */
export function interpolateCompose(
  text: string,
  lookup: (name: string) => string | undefined,
): ComposeInterpolation {
  const errors: string[] = [];
  const unset: string[] = [];
  const value = expand(text, lookup, errors, unset);
  return { value, errors, unset };
}

function expand(
  text: string,
  lookup: (name: string) => string | undefined,
  errors: string[],
  unset: string[],
): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== "$") {
      out += c;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$";
      i++;
    } else if (next === "{") {
      const end = closingBrace(text, i + 2);
      if (end < 0) {
        errors.push(`invalid interpolation format: "${text.slice(i)}" has no closing "}"`);
        out += text.slice(i);
        break;
      }
      out += braced(text.slice(i + 2, end), lookup, errors, unset);
      i = end;
    } else if (next !== undefined && NAME_START.test(next)) {
      let j = i + 1;
      while (j < text.length && NAME_CHAR.test(text[j])) j++;
      const name = text.slice(i + 1, j);
      const current = lookup(name);
      if (current === undefined) unset.push(name);
      out += current ?? "";
      i = j - 1;
    } else {
      out += "$"; // not a variable: kept as written
    }
  }
  return out;
}

/** The index of the `}` closing a `${` whose body starts at `from`, counting nested `${`. */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === "$" && text[i + 1] === "$") i++;
    else if (text[i] === "$" && text[i + 1] === "{") {
      depth++;
      i++;
    } else if (text[i] === "}" && --depth === 0) return i;
  }
  return -1;
}

function braced(
  body: string,
  lookup: (name: string) => string | undefined,
  errors: string[],
  unset: string[],
): string {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(body);
  if (!match) {
    errors.push(`invalid interpolation format: "\${${body}}"`);
    return "";
  }
  const [, name, op, arg = ""] = match;
  const current = lookup(name);
  const colon = op?.startsWith(":") ?? false;
  const missing = current === undefined || (colon && current === "");
  const argument = () => expand(arg, lookup, errors, unset);
  switch (op?.replace(":", "")) {
    case undefined:
      if (current === undefined) unset.push(name);
      return current ?? "";
    case "-":
      return missing ? argument() : current!;
    case "?":
      if (missing) {
        const why = argument();
        errors.push(`required variable ${name} is missing a value${why ? `: ${why}` : ""}`);
        return "";
      }
      return current!;
    case "+":
      return missing ? "" : argument();
    default:
      return current ?? "";
  }
}

/** A problem found while interpolating, at a path of the data. */
export interface ComposeInterpolationIssue {
  readonly path: FieldPath;
  readonly message: string;
  readonly warning: boolean;
}

/** Interpolates every string value of a tree (keys are left alone). */
export function interpolateComposeTree(
  data: unknown,
  lookup: (name: string) => string | undefined,
): { data: unknown; issues: ComposeInterpolationIssue[] } {
  const issues: ComposeInterpolationIssue[] = [];
  const walk = (value: unknown, path: (string | number)[]): unknown => {
    if (typeof value === "string") {
      if (!value.includes("$")) return value;
      const result = interpolateCompose(value, lookup);
      for (const message of result.errors) issues.push({ path, message, warning: false });
      for (const name of new Set(result.unset)) {
        issues.push({
          path,
          message: `the "${name}" variable is not set; defaulting to a blank string`,
          warning: true,
        });
      }
      return result.value;
    }
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]));
    if (value !== null && typeof value === "object" && !(value instanceof Date)) {
      const out: Record<string, unknown> = Object.create(null);
      for (const [key, item] of Object.entries(value)) out[key] = walk(item, [...path, key]);
      return { ...out };
    }
    return value;
  };
  return { data: walk(data, []), issues };
}
