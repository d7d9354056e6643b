/**
 * The kit's schemas that hold others: lists, objects with known fields, records keyed by any
 * name, and unions.
 *
 * @module
 */
import { maxLength, minLength } from "./scalars.ts";
import {
  aborted,
  type Check,
  Checked,
  finalize,
  type output,
  type Payload,
  prefixInto,
  type RawIssue,
  Schema,
  stopped,
} from "./schema.ts";

/** Whether a value holds fields: an object that is not a list (a date counts). */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether a value is a plain object: made by `{}` or `Object.create(null)`, not a date or bytes. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!isObject(value)) return false;
  const ctor = value.constructor;
  if (ctor === undefined || typeof ctor !== "function") return true;
  const proto = ctor.prototype;
  return isObject(proto) && Object.hasOwn(proto, "isPrototypeOf");
}

/** A list of `element`s. */
export class ArraySchema<E extends Schema> extends Checked<output<E>[]> {
  constructor(readonly element: E, checks: readonly Check[] = []) {
    super(checks);
  }

  protected test(p: Payload): boolean {
    const input = p.value;
    if (!Array.isArray(input)) {
      p.issues.push({ code: "invalid_type", expected: "array" });
      return false;
    }
    const out = new Array(input.length);
    for (let i = 0; i < input.length; i++) {
      const r = this.element.run({ value: input[i], issues: [] });
      prefixInto(i, r.issues, p.issues);
      out[i] = r.value;
    }
    p.value = out;
    return true;
  }

  /** A list's length is checked even when an item failed, unless that failure stops all. */
  protected override stops(p: Payload): boolean {
    return stopped(p);
  }

  protected with(check: Check): this {
    return new ArraySchema(this.element, [...this.checks, check]) as this;
  }

  /** At least `n` items. */
  min(n: number): this {
    return this.with(minLength(n));
  }

  /** At most `n` items. */
  max(n: number): this {
    return this.with(maxLength(n));
  }
}

/** The schemas of an object's fields. */
export type Shape = { readonly [key: string]: Schema };

type OptionalKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends { readonly "~optional": true } ? K : never;
}[keyof S];

type Flat<T> = { [K in keyof T]: T[K] } & unknown;

/** The output of an object schema: its optional fields may be absent. */
export type ObjectOutput<S extends Shape> = Flat<
  & { -readonly [K in Exclude<keyof S, OptionalKeys<S>>]: output<S[K]> }
  & { -readonly [K in OptionalKeys<S>]?: output<S[K]> }
>;

/**
 * An object with the fields of `shape`. A `strict` one reports fields it does not know (one
 * issue naming them all, which does not abort); a `loose` one keeps them as they are.
 */
export class ObjectSchema<S extends Shape, O = ObjectOutput<S>> extends Schema<O> {
  readonly #keys: readonly string[];
  readonly #known: ReadonlySet<string>;

  constructor(readonly shape: S, readonly mode: "strict" | "loose") {
    super();
    this.#keys = Object.keys(shape).filter((key) => key !== "__proto__");
    this.#known = new Set(this.#keys);
  }

  /** The same object with only the fields named in `mask`. */
  pick<M extends { readonly [K in keyof S]?: true }>(
    mask: M,
  ): ObjectSchema<Pick<S, Extract<keyof M, keyof S>>> {
    const shape: Record<string, Schema> = {};
    for (const key of this.#keys) if (mask[key] === true) shape[key] = this.shape[key];
    return new ObjectSchema(shape as Pick<S, Extract<keyof M, keyof S>>, this.mode);
  }

  run(p: Payload): Payload {
    const input = p.value;
    if (!isObject(input)) {
      p.issues.push({ code: "invalid_type", expected: "object" });
      return p;
    }
    const out: Record<string, unknown> = {};
    for (const key of this.#keys) field(this.shape[key], key, input, out, p.issues);
    const unknown: string[] = [];
    for (const key in input) {
      if (this.#known.has(key)) continue;
      if (this.mode === "strict") unknown.push(key);
      else if (key !== "__proto__") out[key] = input[key];
    }
    if (unknown.length) p.issues.push({ code: "unrecognized_keys", keys: unknown, continue: true });
    p.value = out;
    return p;
  }
}

/** Validates one field of `input` into `out`; an absent optional field is left out. */
function field(
  schema: Schema,
  key: string,
  input: Record<string, unknown>,
  out: Record<string, unknown>,
  issues: RawIssue[],
): void {
  const present = key in input;
  const optionalOut = schema.optout === "optional";
  if (!present && optionalOut && schema.optin === "optional") return;
  const r = schema.run({ value: input[key], issues: [] });
  if (r.issues.length) {
    if (!present && optionalOut && schema.optin !== undefined) return;
    prefixInto(key, r.issues, issues);
  }
  if (!present && schema.optin === undefined) {
    if (!r.issues.length) {
      issues.push({ code: "invalid_type", expected: "nonoptional", path: [key] });
    }
    return;
  }
  if (r.value !== undefined || present) out[key] = r.value;
}

/** An object keyed by any name `key` accepts, each value a `value`; `__proto__` is left out. */
export class RecordSchema<V extends Schema> extends Schema<Record<string, output<V>>> {
  constructor(readonly key: Schema<string>, readonly value: V) {
    super();
  }

  run(p: Payload): Payload {
    const input = p.value;
    if (!isPlainObject(input)) {
      p.issues.push({ code: "invalid_type", expected: "record" });
      return p;
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(input)) {
      if (key === "__proto__") continue;
      const k = this.key.run({ value: key, issues: [] });
      if (k.issues.length) {
        p.issues.push({
          code: "invalid_key",
          origin: "record",
          issues: k.issues.map(finalize),
          path: [key],
        });
        continue;
      }
      const r = this.value.run({ value: input[key], issues: [] });
      prefixInto(key, r.issues, p.issues);
      out[k.value as string] = r.value;
    }
    p.value = out;
    return p;
  }
}

/**
 * The first of `options` that the value passes. When none does, and exactly one failed only by
 * issues that do not abort (too small, unknown fields), its issues; else one invalid_union issue
 * that holds each option's.
 */
export class UnionSchema<T extends readonly Schema[]> extends Schema<output<T[number]>> {
  constructor(readonly options: T) {
    super();
    this.optin = options.some((o) => o.optin !== undefined) ? "optional" : undefined;
    this.optout = options.some((o) => o.optout === "optional") ? "optional" : undefined;
  }

  run(p: Payload): Payload {
    if (this.options.length === 1) return this.options[0].run(p);
    const results: Payload[] = [];
    for (const option of this.options) {
      const r = option.run({ value: p.value, issues: [] });
      if (r.issues.length === 0) {
        p.value = r.value;
        return p;
      }
      results.push(r);
    }
    const near = results.filter((r) => !aborted(r));
    if (near.length === 1) {
      p.value = near[0].value;
      for (const issue of near[0].issues) p.issues.push(issue);
      return p;
    }
    p.issues.push({ code: "invalid_union", errors: results.map((r) => r.issues.map(finalize)) });
    return p;
  }
}
