/**
 * Responses of the control API: JSON bodies, errors in one shape (`{"error": {kind, message}}`)
 * with the one mapping of error classes to statuses, and streams (NDJSON, server-sent events)
 * that are pulled as the client reads, so that a slow reader holds no more than a batch.
 *
 * @module
 */
import {
  ConfigError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UsageError,
} from "../domain/mod.ts";
import { ERROR_STATUS, type ErrorKind } from "../control/mod.ts";
import { BodyTooLargeError } from "./input.ts";

/** The kinds of error the API returns, with their status codes (the one table, in `control`). */
export const STATUS = ERROR_STATUS;

export type { ErrorKind };

/** A JSON response. */
export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body, null, 2) + "\n", {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** An error response. */
export function fail(
  kind: ErrorKind,
  message: string,
  extra: Record<string, unknown> = {},
): Response {
  return json({ error: { kind, message, ...extra } }, STATUS[kind]);
}

/**
 * Which kind each class of orch's errors is, most specific first. An error of no class here (a
 * bare OrchError included) is unclassified: a 500 with a generic message.
 */
// deno-lint-ignore no-explicit-any
const KINDS: readonly [new (...args: any[]) => Error, ErrorKind][] = [
  [ConfigError, "invalid_config"],
  [NotFoundError, "not_found"],
  [ForbiddenError, "forbidden"],
  [ConflictError, "conflict"],
  [UsageError, "bad_request"],
  [BodyTooLargeError, "too_large"],
];

/** The kind of an error, or undefined for an unclassified one. */
export function kindOf(error: unknown): ErrorKind | undefined {
  return KINDS.find(([type]) => error instanceof type)?.[1];
}

/**
 * The response for an error: orch's own errors by their kind; anything else is unclassified (a
 * bug, or an error no caller can act on), answered with a generic 500 while `report` gets the real
 * error (for orch's log).
 */
export function fromError(error: unknown, report: (error: unknown) => void): Response {
  const kind = kindOf(error);
  if (kind === undefined) {
    report(error);
    return fail("internal", "internal error; orch's log has the details");
  }
  const message = (error as Error).message;
  return error instanceof ConfigError
    ? fail(kind, message, { issues: error.issues })
    : fail(kind, message);
}

const encoder = new TextEncoder();

/**
 * Streams chunks of bytes, pulled as the client reads; `close` runs when the stream ends or the
 * client goes away. A keep-alive text is sent every `keepAlive.ms`.
 */
export function streamedBytes(
  chunks: AsyncIterable<Uint8Array>,
  close: () => void,
  options: { first?: string; contentType: string; keepAlive?: { ms: number; text: string } },
): Response {
  const iterator = chunks[Symbol.asyncIterator]();
  let timer: ReturnType<typeof setInterval> | undefined;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    clearInterval(timer);
    close();
    iterator.return?.()?.catch(() => {});
  };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (options.first) controller.enqueue(encoder.encode(options.first));
      const keepAlive = options.keepAlive;
      if (keepAlive) {
        timer = setInterval(() => {
          try {
            controller.enqueue(encoder.encode(keepAlive.text));
          } catch {
            clearInterval(timer);
          }
        }, keepAlive.ms);
      }
    },
    async pull(controller) {
      try {
        for (;;) {
          const { value, done: end } = await iterator.next();
          if (end) {
            finish();
            controller.close();
            return;
          }
          if (value.length === 0) continue;
          controller.enqueue(value);
          return;
        }
      } catch (error) {
        finish();
        controller.error(error);
      }
    },
    cancel() {
      finish();
    },
  }, { highWaterMark: 1 });
  return new Response(body, {
    headers: { "content-type": options.contentType, "cache-control": "no-store" },
  });
}

/** Batches rendered as text and encoded, one chunk a batch. */
export async function* rendered<T>(
  batches: AsyncIterable<readonly T[]>,
  render: (item: T) => string,
): AsyncGenerator<Uint8Array> {
  for await (const batch of batches) {
    let text = "";
    for (const item of batch) text += render(item);
    if (text) yield encoder.encode(text);
  }
}

/** `first`'s chunks, then `then`'s. */
export async function* concat<T>(
  first: AsyncIterable<T>,
  then: AsyncIterable<T>,
): AsyncGenerator<T> {
  yield* first;
  yield* then;
}
