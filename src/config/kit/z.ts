/**
 * The kit's factories, used as `z.string()`, `z.strictObject({...})` (the names zod gave them),
 * and its types: `z.output<typeof schema>`, `z.Schema`, `z.Issue`.
 *
 * @module
 */
import {
  ArraySchema,
  type ObjectOutput,
  ObjectSchema,
  RecordSchema,
  type Shape,
  UnionSchema,
} from "./compound.ts";
import {
  BooleanSchema,
  NullSchema,
  NumberSchema,
  StringSchema,
  UnknownSchema,
  ValueSchema,
} from "./scalars.ts";
import { type Ctx, NEVER, type output, Pipe, Schema, Transform } from "./schema.ts";

export type { Ctx, Issue, IssueInput, output, SafeParse } from "./schema.ts";
export { NEVER, Schema };

/** A string. */
export const string = (): StringSchema => new StringSchema([]);
/** A finite number. */
export const number = (): NumberSchema => new NumberSchema([]);
/** `true` or `false`. */
export const boolean = (): BooleanSchema => new BooleanSchema();
/** `null`. */
const null_ = (): NullSchema => new NullSchema();
export { null_ as null };
/** Anything. */
export const unknown = (): UnknownSchema => new UnknownSchema();

/** One of `values`. */
export function enum_<const T extends readonly string[]>(values: T): ValueSchema<T[number]> {
  return new ValueSchema<T[number]>(values);
}
export { enum_ as enum };

/** Exactly `value`. */
export function literal<const T extends string | number | boolean>(value: T): ValueSchema<T> {
  return new ValueSchema([value]);
}

/** A list of `element`s. */
export function array<E extends Schema>(element: E): ArraySchema<E> {
  return new ArraySchema(element);
}

/** An object with the fields of `shape` and no others. */
export function strictObject<S extends Shape>(shape: S): ObjectSchema<S> {
  return new ObjectSchema(shape, "strict");
}

/** An object with the fields of `shape`, keeping any others as they are. */
export function looseObject<S extends Shape>(
  shape: S,
): ObjectSchema<S, ObjectOutput<S> & { [key: string]: unknown }> {
  return new ObjectSchema(shape, "loose");
}

/** An object keyed by any name `key` accepts. */
export function record<V extends Schema>(key: Schema<string>, value: V): RecordSchema<V> {
  return new RecordSchema(key, value);
}

/** The first of `options` the value passes. */
export function union<const T extends readonly Schema[]>(options: T): UnionSchema<T> {
  return new UnionSchema(options);
}

/** `fn` on the value first (to expand a shorthand), then `schema`. */
export function preprocess<S extends Schema>(
  fn: (value: unknown, ctx: Ctx) => unknown,
  schema: S,
): Pipe<output<S>> {
  return new Pipe(new Transform(fn), schema as Schema<output<S>>);
}
