/**
 * Health expressions: probe aliases combined with `||` and `&&` (also `or` / `and`), with parentheses.
 * `&&` binds tighter than `||`. An expression has at most {@link MAX_TERMS} probe names and
 * {@link MAX_NESTING} levels of parentheses, so that parsing and evaluating never recurse deeply.
 *
 * @module
 */
import type { HealthExpr, ProbeAlias } from "./model.ts";
import { PROBE_ALIASES } from "./model.ts";
import { quote } from "./quote.ts";

/** The most probe names an expression may use (there are four probes; repeats are allowed). */
export const MAX_TERMS = 64;
/** The deepest parentheses may nest. */
export const MAX_NESTING = 16;

/** The result of parsing: an expression, or an error with the column (from 1) where it went wrong. */
export type ParseResult =
  | { readonly ok: true; readonly expr: HealthExpr }
  | { readonly ok: false; readonly message: string; readonly column: number };

interface Token {
  readonly text: string;
  readonly column: number;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(\|\||&&|\(|\)|[A-Za-z_][A-Za-z0-9_]*|\S)/y;
  let match: RegExpExecArray | null;
  while (re.lastIndex < source.length && (match = re.exec(source))) {
    const text = match[1];
    tokens.push({ text, column: re.lastIndex - text.length + 1 });
  }
  return tokens;
}

/**
 * Parses `http || log`, `(tcp && cmd) || http` and the like.
 *
 * @example
 * ```ts
 * import { parseHealthExpr } from "./expression.ts";
 * parseHealthExpr("http || log").ok; // true
 * ```
 */
export function parseHealthExpr(source: string): ParseResult {
  const tokens = tokenize(source);
  let pos = 0;
  const end = source.length + 1;
  class Fail {
    constructor(readonly message: string, readonly column: number) {}
  }
  const peek = () => tokens[pos]?.text.toLowerCase();
  let depth = 0;
  let terms = 0;
  const primary = (): HealthExpr => {
    const token = tokens[pos];
    if (!token) throw new Fail("expected a probe name, found the end", end);
    if (token.text === "(") {
      if (++depth > MAX_NESTING) {
        throw new Fail(`parentheses nest more than ${MAX_NESTING} deep`, token.column);
      }
      pos++;
      const inner = or();
      if (tokens[pos]?.text !== ")") {
        throw new Fail(`expected ")"`, tokens[pos]?.column ?? end);
      }
      pos++;
      depth--;
      return inner;
    }
    if (!(PROBE_ALIASES as readonly string[]).includes(token.text)) {
      throw new Fail(
        `${quote(token.text, 40)} is not a probe (use ${PROBE_ALIASES.join(", ")})`,
        token.column,
      );
    }
    if (++terms > MAX_TERMS) {
      throw new Fail(`more than ${MAX_TERMS} probe names`, token.column);
    }
    pos++;
    return { op: "probe", name: token.text as ProbeAlias };
  };
  const and = (): HealthExpr => {
    let left = primary();
    while (peek() === "&&" || peek() === "and") {
      pos++;
      left = { op: "and", left, right: primary() };
    }
    return left;
  };
  const or = (): HealthExpr => {
    let left = and();
    while (peek() === "||" || peek() === "or") {
      pos++;
      left = { op: "or", left, right: and() };
    }
    return left;
  };
  try {
    const expr = or();
    if (pos < tokens.length) {
      throw new Fail(`unexpected ${quote(tokens[pos].text, 40)}`, tokens[pos].column);
    }
    return { ok: true, expr };
  } catch (error) {
    if (error instanceof Fail) return { ok: false, message: error.message, column: error.column };
    throw error;
  }
}

/** The probe aliases an expression names, left to right. */
export function probesOf(expr: HealthExpr): ProbeAlias[] {
  const out: ProbeAlias[] = [];
  const pending: HealthExpr[] = [expr];
  while (pending.length > 0) {
    const next = pending.pop()!;
    if (next.op === "probe") out.push(next.name);
    else pending.push(next.right, next.left);
  }
  return out;
}

/**
 * Evaluates an expression given each probe's verdict. An unknown verdict (`undefined`: not run yet,
 * or could not run) counts as not passing.
 */
export function evaluateHealthExpr(
  expr: HealthExpr,
  passing: (probe: ProbeAlias) => boolean | undefined,
): boolean {
  switch (expr.op) {
    case "probe":
      return passing(expr.name) === true;
    case "or":
      return evaluateHealthExpr(expr.left, passing) || evaluateHealthExpr(expr.right, passing);
    case "and":
      return evaluateHealthExpr(expr.left, passing) && evaluateHealthExpr(expr.right, passing);
  }
}

/** Renders an expression back to text, `(a || b) && c`. */
export function formatHealthExpr(expr: HealthExpr): string {
  if (expr.op === "probe") return expr.name;
  const side = (e: HealthExpr) =>
    e.op !== "probe" && e.op !== expr.op ? `(${formatHealthExpr(e)})` : formatHealthExpr(e);
  return `${side(expr.left)} ${expr.op === "or" ? "||" : "&&"} ${side(expr.right)}`;
}
