/**
 * The few assertions the tests use (JSR's @std/assert is out of reach here).
 *
 * @module
 */
import { inspect, isDeepStrictEqual } from "node:util";

export class AssertionError extends Error {
  override name = "AssertionError";
}

export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new AssertionError(
      `${message ? message + "\n" : ""}expected: ${inspect(expected, { depth: 8 })}\nactual:   ${
        inspect(actual, { depth: 8 })
      }`,
    );
  }
}

export function assertMatch(actual: string, pattern: RegExp, message?: string): void {
  if (!pattern.test(actual)) {
    throw new AssertionError(
      `${message ? message + "\n" : ""}${JSON.stringify(actual)} does not match ${pattern}`,
    );
  }
}

export async function assertRejects<E extends Error = Error>(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  errorClass?: new (...args: any[]) => E,
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    if (errorClass && !(error instanceof errorClass)) {
      throw new AssertionError(
        `expected ${errorClass.name}, got ${(error as Error)?.stack ?? error}`,
      );
    }
    return error as E;
  }
  throw new AssertionError("expected the promise to reject");
}

export function assertThrows(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new AssertionError("expected a throw");
}
