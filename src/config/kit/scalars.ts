/**
 * The kit's scalar schemas: strings, numbers, booleans, `null`, anything, and fixed values.
 *
 * @module
 */
import { type Check, Checked, type Payload, Schema } from "./schema.ts";

/** What a length is counted on, for a too_small or too_big issue. */
function lengthOrigin(value: unknown): string {
  return Array.isArray(value) ? "array" : typeof value === "string" ? "string" : "unknown";
}

/** The length of a string in code points (a list's in items). */
function lengthOf(value: string | unknown[]): number {
  if (typeof value !== "string") return value.length;
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/** A check that a string or list has at least `minimum` items. */
export function minLength(minimum: number): Check {
  return (p) => {
    const value = p.value as string | unknown[];
    if (lengthOf(value) >= minimum) return;
    p.issues.push({
      code: "too_small",
      origin: lengthOrigin(value),
      minimum,
      inclusive: true,
      continue: true,
    });
  };
}

/** A check that a string or list has at most `maximum` items. */
export function maxLength(maximum: number): Check {
  return (p) => {
    const value = p.value as string | unknown[];
    if (lengthOf(value) <= maximum) return;
    p.issues.push({
      code: "too_big",
      origin: lengthOrigin(value),
      maximum,
      inclusive: true,
      continue: true,
    });
  };
}

/** A string. */
export class StringSchema extends Checked<string> {
  protected test(p: Payload): boolean {
    if (typeof p.value === "string") return true;
    p.issues.push({ code: "invalid_type", expected: "string" });
    return false;
  }

  protected with(check: Check): this {
    return new StringSchema([...this.checks, check]) as this;
  }

  /** At least `n` characters (code points). */
  min(n: number): this {
    return this.with(minLength(n));
  }

  /** At most `n` characters (code points). */
  max(n: number): this {
    return this.with(maxLength(n));
  }

  /** Matching `pattern`; `message` says what was expected. */
  regex(pattern: RegExp, message?: string): this {
    return this.with((p) => {
      pattern.lastIndex = 0;
      if (pattern.test(p.value as string)) return;
      p.issues.push({
        code: "invalid_format",
        origin: "string",
        format: "regex",
        pattern: pattern.toString(),
        ...(message === undefined ? {} : { message }),
        continue: true,
      });
    });
  }
}

/** A finite number. */
export class NumberSchema extends Checked<number> {
  protected test(p: Payload): boolean {
    const value = p.value;
    if (typeof value === "number" && Number.isFinite(value)) return true;
    p.issues.push({
      code: "invalid_type",
      expected: "number",
      ...(typeof value === "number" ? { received: String(value) } : {}),
    });
    return false;
  }

  protected with(check: Check): this {
    return new NumberSchema([...this.checks, check]) as this;
  }

  /** A whole number within the safe integer range (a fraction stops the checks after it). */
  int(): this {
    return this.with((p) => {
      const value = p.value as number;
      if (!Number.isInteger(value)) {
        p.issues.push({ code: "invalid_type", expected: "int", continue: false });
      } else if (value > Number.MAX_SAFE_INTEGER) {
        p.issues.push({
          code: "too_big",
          origin: "int",
          maximum: Number.MAX_SAFE_INTEGER,
          inclusive: true,
          continue: true,
        });
      } else if (value < Number.MIN_SAFE_INTEGER) {
        p.issues.push({
          code: "too_small",
          origin: "int",
          minimum: Number.MIN_SAFE_INTEGER,
          inclusive: true,
          continue: true,
        });
      }
    });
  }

  /** At least `n`. */
  min(n: number): this {
    return this.atLeast(n, true);
  }

  /** More than 0. */
  positive(): this {
    return this.atLeast(0, false);
  }

  /** At most `n`. */
  max(n: number): this {
    return this.with((p) => {
      if ((p.value as number) <= n) return;
      p.issues.push({
        code: "too_big",
        origin: "number",
        maximum: n,
        inclusive: true,
        continue: true,
      });
    });
  }

  private atLeast(minimum: number, inclusive: boolean): this {
    return this.with((p) => {
      const value = p.value as number;
      if (inclusive ? value >= minimum : value > minimum) return;
      p.issues.push({ code: "too_small", origin: "number", minimum, inclusive, continue: true });
    });
  }
}

/** `true` or `false`. */
export class BooleanSchema extends Schema<boolean> {
  run(p: Payload): Payload {
    if (typeof p.value !== "boolean") p.issues.push({ code: "invalid_type", expected: "boolean" });
    return p;
  }
}

/** `null`. */
export class NullSchema extends Schema<null> {
  run(p: Payload): Payload {
    if (p.value !== null) p.issues.push({ code: "invalid_type", expected: "null" });
    return p;
  }
}

/** Anything, passed through. */
export class UnknownSchema extends Schema<unknown> {
  run(p: Payload): Payload {
    return p;
  }
}

/** One of a fixed set of values (an enum, or a literal of one value). */
export class ValueSchema<T> extends Schema<T> {
  readonly #set: ReadonlySet<unknown>;

  constructor(readonly values: readonly T[]) {
    super();
    this.#set = new Set(values);
  }

  run(p: Payload): Payload {
    if (!this.#set.has(p.value)) p.issues.push({ code: "invalid_value", values: this.values });
    return p;
  }
}
