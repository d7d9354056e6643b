/**
 * Health expressions: probe aliases combined with `||` and `&&` (also `or` / `and`), with parentheses.
 * `&&` binds tighter than `||`.
 *
 * @module
 */
import type { HealthExpr, ProbeAlias } from "./model.ts";
import { PROBE_ALIASES } from "./model.ts";

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
  const primary = (): HealthExpr => {
    const token = tokens[pos];
    if (!token) throw new Fail("expected a probe name, found the end", end);
    if (token.text === "(") {
      pos++;
      const inner = or();
      if (tokens[pos]?.text !== ")") {
        throw new Fail(`expected ")"`, tokens[pos]?.column ?? end);
      }
      pos++;
      return inner;
    }
    if (!(PROBE_ALIASES as readonly string[]).includes(token.text)) {
      throw new Fail(
        `"${token.text}" is not a probe (use ${PROBE_ALIASES.join(", ")})`,
        token.column,
      );
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
      throw new Fail(`unexpected "${tokens[pos].text}"`, tokens[pos].column);
    }
    return { ok: true, expr };
  } catch (error) {
    if (error instanceof Fail) return { ok: false, message: error.message, column: error.column };
    throw error;
  }
}

/** The probe aliases an expression names. */
export function probesOf(expr: HealthExpr): ProbeAlias[] {
  return expr.op === "probe" ? [expr.name] : [...probesOf(expr.left), ...probesOf(expr.right)];
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
