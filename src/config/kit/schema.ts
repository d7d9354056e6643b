/**
 * The base of orch's schema kit: a schema, the issues it reports, and the wrappers every schema
 * has (`optional`, `nullable`, `transform`). The kit does what zod 4 did for the config layer, with
 * the same issues (codes, paths, fields) and the same rules for what a failure stops, in a few
 * hundred lines that cost next to nothing to load and to build: zod's own schemas took 9-15 ms to
 * build at every start of a config command.
 *
 * A schema runs on a payload (the value and the issues so far) and returns it. An issue that does
 * not say `continue: true` aborts: the checks after it do not run, a pipe does not go on to its
 * next step, and a union does not count the branch as a near miss.
 *
 * @module
 */

/** Where in the validated value an issue is: keys and list indexes from the root. */
export type Path = (string | number)[];

/** One problem found, as `safeParse` reports it. */
export type Issue = IssueBody & { path: Path; message: string };

/** An issue as a transform adds it: the path (relative to the value) and message may be left out. */
export type IssueInput = IssueBody & { path?: Path; message?: string; fatal?: boolean };

/** What an issue says, by its code. */
export type IssueBody =
  | { code: "invalid_type"; expected: string; received?: string }
  | { code: "unrecognized_keys"; keys: string[] }
  | { code: "invalid_value"; values: readonly unknown[] }
  | { code: "invalid_union"; errors: Issue[][] }
  | { code: "too_small"; origin: string; minimum: number; inclusive: boolean }
  | { code: "too_big"; origin: string; maximum: number; inclusive: boolean }
  | { code: "invalid_format"; origin: string; format: string; pattern: string }
  | { code: "invalid_key"; origin: string; issues: Issue[] }
  | { code: "custom" };

/** An issue while the parse runs: whether the parse may go on past it. */
export type RawIssue = IssueInput & { continue?: boolean };

/** A value being validated and what was found wrong with it. */
export interface Payload {
  value: unknown;
  issues: RawIssue[];
  aborted?: boolean;
}

/** What a transform gets besides the value: a way to report an issue. */
export interface Ctx {
  readonly value: unknown;
  addIssue(issue: IssueInput | string): void;
}

/** The outcome of {@link Schema.safeParse}. */
export type SafeParse<O> =
  | { readonly success: true; readonly data: O; readonly error?: undefined }
  | { readonly success: false; readonly data?: undefined; readonly error: { issues: Issue[] } };

/** Thrown by {@link Schema.parse}; `issues` as `safeParse` reports them. */
export class ParseError extends Error {
  constructor(readonly issues: Issue[]) {
    super(issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("\n"));
    this.name = "ParseError";
  }
}

/** The value `never` for a transform to return after it added an issue. */
export const NEVER: never = Object.freeze({ status: "aborted" }) as never;

/** Whether an issue so far stops the parse (any issue not marked `continue: true`). */
export function aborted(p: Payload): boolean {
  return p.aborted === true || p.issues.some((issue) => issue.continue !== true);
}

/**
 * Puts `key` in front of the paths of `issues` (the parse's own, changed in place) and adds them to
 * `into` one by one: a spread (`push(...issues)`) overflows the stack past some 120,000 issues,
 * which one long list in a config file can give.
 */
export function prefixInto(key: string | number, issues: RawIssue[], into: RawIssue[]): void {
  for (const issue of issues) {
    (issue.path ??= []).unshift(key);
    into.push(issue);
  }
}

/** An issue as reported: without the parse's own flag, with a path and a message. */
export function finalize(issue: RawIssue): Issue {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(issue)) {
    if (key !== "continue" && key !== "__proto__") {
      out[key] = (issue as Record<string, unknown>)[key];
    }
  }
  out.path ??= [];
  out.message = issue.message || "invalid input";
  return out as Issue;
}

/** A schema whose output is `O`. */
export abstract class Schema<O = unknown> {
  /** The output type, for {@link output}; never set. */
  declare readonly "~output": O;
  /** "optional" when an absent field may be left to this schema (it accepts `undefined`). */
  optin: "optional" | undefined = undefined;
  /** "optional" when this schema's output may be absent. */
  optout: "optional" | undefined = undefined;

  /** Validates `p.value`, replacing it by the output and adding issues to `p.issues`. */
  abstract run(p: Payload): Payload;

  /** This schema, or nothing. */
  optional(): Optional<O> {
    return new Optional(this);
  }

  /** This schema, or `null`. */
  nullable(): Nullable<O> {
    return new Nullable(this);
  }

  /** This schema, then `fn` on its output (which it runs only when this schema passed). */
  transform<T>(fn: (value: O, ctx: Ctx) => T): Pipe<T> {
    return new Pipe(this, new Transform(fn as (value: unknown, ctx: Ctx) => T));
  }

  /**
   * Validates `value`: the output, or every issue found (as data: a table's values and salvage's
   * rounds parse again and again, and an Error's stack and message would be built each time).
   */
  safeParse(value: unknown): SafeParse<O> {
    const p = this.run({ value, issues: [] });
    return p.issues.length === 0
      ? { success: true, data: p.value as O }
      : { success: false, error: { issues: p.issues.map(finalize) } };
  }

  /**
   * Validates `value` and returns the output.
   *
   * @throws {ParseError} with every issue found.
   */
  parse(value: unknown): O {
    const parsed = this.safeParse(value);
    if (!parsed.success) throw new ParseError(parsed.error.issues);
    return parsed.data;
  }
}

/** The output type of a schema. */
export type output<S> = S extends Schema<infer O> ? O : never;

/** A schema that also accepts `undefined` (and, in an object, an absent field). */
export class Optional<O> extends Schema<O | undefined> {
  declare readonly "~optional": true;
  constructor(readonly inner: Schema<O>) {
    super();
    this.optin = "optional";
    this.optout = "optional";
  }

  run(p: Payload): Payload {
    return p.value === undefined ? p : this.inner.run(p);
  }
}

/** A schema that also accepts `null`. */
export class Nullable<O> extends Schema<O | null> {
  constructor(readonly inner: Schema<O>) {
    super();
    this.optin = inner.optin;
    this.optout = inner.optout;
  }

  run(p: Payload): Payload {
    return p.value === null ? p : this.inner.run(p);
  }
}

/** A function of the value; it reports problems through `ctx.addIssue`. */
export class Transform<O> extends Schema<O> {
  constructor(readonly fn: (value: unknown, ctx: Ctx) => O) {
    super();
    this.optin = "optional";
  }

  run(p: Payload): Payload {
    const ctx: Ctx = {
      value: p.value,
      addIssue(issue) {
        if (typeof issue === "string") {
          p.issues.push({ code: "custom", message: issue });
          return;
        }
        const raw: RawIssue = { ...issue };
        raw.code ??= "custom";
        if (issue.fatal) raw.continue = false;
        p.issues.push(raw);
      },
    };
    p.value = this.fn(p.value, ctx);
    return p;
  }
}

/** `source`, then `target` on its output, unless `source` found more than unknown fields. */
export class Pipe<O> extends Schema<O> {
  constructor(readonly source: Schema<unknown>, readonly target: Schema<O>) {
    super();
    this.optin = source.optin;
    this.optout = target.optout;
  }

  run(p: Payload): Payload {
    const left = this.source.run(p);
    if (left.issues.some((issue) => issue.code !== "unrecognized_keys")) {
      left.aborted = true;
      return left;
    }
    return this.target.run(left);
  }
}

/** A check run after a schema's type passed: it adds an issue when the value fails it. */
export type Check = (p: Payload) => void;

/** Whether an issue says outright that the parse stops there (`continue: false`). */
export function stopped(p: Payload): boolean {
  return p.aborted === true || p.issues.some((issue) => issue.continue === false);
}

/**
 * A schema with checks (a number's range, a string's length): its type test, then each check in
 * the order given, until one aborts.
 */
export abstract class Checked<O> extends Schema<O> {
  constructor(readonly checks: readonly Check[]) {
    super();
  }

  /**
   * Tests the type, adding an issue when `p.value` is not of it: false then. A list also validates
   * its items here, and is of its type whatever they hold.
   */
  protected abstract test(p: Payload): boolean;

  /** The same schema with one more check. */
  protected abstract with(check: Check): this;

  /** Whether the checks stop before the next one: when an issue so far aborts. */
  protected stops(p: Payload): boolean {
    return aborted(p);
  }

  run(p: Payload): Payload {
    if (!this.test(p)) return p;
    for (const check of this.checks) {
      if (this.stops(p)) break;
      check(p);
    }
    return p;
  }
}
