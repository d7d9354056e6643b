/**
 * Deadlines for tests: no wait may hang. Each helper fails, after its time, with what it waited for
 * (and, for a stream, what it had read), so that a stuck test says why instead of running until the
 * test runner gives up.
 *
 * @module
 */

/** Fails a wait that took too long: `timed out after 5000ms waiting for api ready`. */
export class DeadlineError extends Error {
  constructor(ms: number, what: string) {
    super(`timed out after ${ms}ms waiting for ${what}`);
    this.name = "DeadlineError";
  }
}

/**
 * Resolves as `promise` does, or rejects with a {@link DeadlineError} naming `what` once `ms` have
 * passed first. The timer is cleared either way (no leak for the test sanitizers).
 *
 * @example
 * ```ts
 * import { within } from "./deadline.ts";
 * const outcome = await within(Promise.resolve({ code: 0 }), 1_000, "the stack to settle");
 * ```
 */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(ms, what)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * Resolves once `condition` holds, checking it every `everyMs`; rejects after `ms` naming `what`
 * (a function is called then, so that the message can say what was seen). For conditions that no
 * event announces (a process gone, a file written by another process).
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string | (() => string),
  ms = 10_000,
  everyMs = 20,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new DeadlineError(ms, typeof what === "string" ? what : what());
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Reads text from `reader` until `done(text)` holds, and returns all that was read (`text` first).
 * Rejects naming `what`, with what was read, when the stream ends first or `ms` pass (the reader is
 * cancelled then, so that the pending read ends).
 */
export async function readUntil(
  reader: ReadableStreamDefaultReader<string>,
  done: (text: string) => boolean,
  what: string,
  options: { ms?: number; text?: string } = {},
): Promise<string> {
  const ms = options.ms ?? 15_000;
  let text = options.text ?? "";
  let late = false;
  const timer = setTimeout(() => {
    late = true;
    reader.cancel().catch(() => {});
  }, ms);
  try {
    while (!done(text)) {
      const chunk = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (late) throw new Error(`${new DeadlineError(ms, what).message}; read so far:\n${text}`);
      if (chunk.done) throw new Error(`the stream ended while waiting for ${what}; read:\n${text}`);
      text += chunk.value;
    }
    return text;
  } finally {
    clearTimeout(timer);
  }
}

/** Reads `reader` to its end within `ms`, and returns what it read. */
export async function readToEnd(
  reader: ReadableStreamDefaultReader<string>,
  what: string,
  options: { ms?: number; text?: string } = {},
): Promise<string> {
  let text = options.text ?? "";
  await within(
    (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += value;
      }
    })(),
    options.ms ?? 15_000,
    what,
  ).catch((error) => {
    reader.cancel().catch(() => {});
    throw new Error(`${(error as Error).message}; read so far:\n${text}`);
  });
  return text;
}
