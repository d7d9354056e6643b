/**
 * The control API's HTTP server: its own accept loop over a `Deno.Listener` (TCP or unix socket),
 * so that a flood of connections or running out of file descriptors is an error orch reports and
 * survives, never a crash (Deno.serve's accept loop dies of EMFILE). Each listener holds at most
 * `maxConnections` connections (more are answered 503 and closed), a client has `headerTimeoutMs`
 * to send its request head and `bodyTimeoutMs` for its body, a body larger than its route's limit
 * is refused (413) without being read, and a client that stops reading a response is dropped
 * after `writeTimeoutMs`. One request per connection (`connection: close`).
 *
 * @module
 */
import { ERROR_STATUS } from "../control/mod.ts";
import {
  bodyStream,
  ByteReader,
  chunk,
  chunkSize,
  CRLF,
  errorResponse,
  HttpError,
  readHead,
  type RequestHead,
  responseHead,
} from "./http1.ts";
import {
  closeQuietly,
  deadline,
  delay,
  linger,
  outOfDescriptors,
  rateLimited,
  writeAll,
} from "./conn.ts";

/** Limits of a listener. */
export interface HttpServerOptions {
  /** How the listener is named in messages, e.g. `127.0.0.1:7070`. */
  readonly name: string;
  /** @default 256 */
  readonly maxConnections?: number;
  /** From accept to the end of the request head. @default 10s */
  readonly headerTimeoutMs?: number;
  /** For the whole request body, after the head. @default 30s */
  readonly bodyTimeoutMs?: number;
  /** For any one write of the response. @default 30s */
  readonly writeTimeoutMs?: number;
  /** @default 16 KiB */
  readonly maxHeaderBytes?: number;
  /** The largest body a route takes. @default 1 MiB for every route */
  readonly bodyLimit?: (method: string, path: string) => number;
  /** Where problems of the listener go (orch's own log); rate-limited here. */
  readonly report?: (message: string) => void;
}

/** A running server. */
export interface HttpServer {
  /** Connections open now. */
  readonly connections: number;
  /** Stops accepting, lets running requests end for `graceMs`, then drops the rest. */
  close(graceMs?: number): Promise<void>;
}

/** Default limits, as the README states them. */
export const DEFAULTS = {
  maxConnections: 256,
  headerTimeoutMs: 10_000,
  bodyTimeoutMs: 30_000,
  writeTimeoutMs: 30_000,
  maxHeaderBytes: 16 * 1024,
  bodyLimit: 1 << 20,
} as const;

/** Serves `handler` on `listener` until closed. */
export function serveHttp(
  listener: Deno.Listener,
  handler: (request: Request) => Promise<Response>,
  options: HttpServerOptions,
): HttpServer {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o = { ...DEFAULTS, ...given } as typeof DEFAULTS & HttpServerOptions;
  const bodyLimit = options.bodyLimit ?? (() => DEFAULTS.bodyLimit);
  const report = options.report ?? (() => {});
  const reportDescriptors = rateLimited(report);
  const reportBusy = rateLimited(report);
  const reportInternal = rateLimited(report);
  const open = new Set<Deno.Conn>();
  let rejecting = 0;
  let closed = false;

  const refuse = async (conn: Deno.Conn) => {
    // At the limit: answer at once and let go; a few of these linger so the client reads it.
    reportBusy(
      `control API on ${o.name}: ${o.maxConnections} connections are open (the limit); ` +
        `refusing more`,
    );
    if (rejecting >= 32) return closeQuietly(conn);
    rejecting++;
    try {
      await writeAll(
        conn,
        errorResponse(ERROR_STATUS.busy, "busy", "too many connections; try again"),
        1000,
      );
      await linger(conn, 200);
    } catch {
      // the client is gone
    } finally {
      rejecting--;
      closeQuietly(conn);
    }
  };

  const loop = (async () => {
    let backoff = 5;
    while (!closed) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
        backoff = 5;
      } catch (error) {
        if (closed || error instanceof Deno.errors.BadResource) return;
        if (outOfDescriptors(error)) {
          reportDescriptors(
            `control API on ${o.name}: cannot accept a connection: out of file descriptors ` +
              `(${open.size} connection(s) open); retrying`,
          );
        } else {
          reportInternal(`control API on ${o.name}: accept failed: ${(error as Error).message}`);
        }
        await delay(backoff);
        backoff = Math.min(backoff * 2, 1000);
        continue;
      }
      if (open.size >= o.maxConnections) {
        void refuse(conn);
        continue;
      }
      open.add(conn);
      void serveConnection(conn, handler, { ...o, bodyLimit, report: reportInternal })
        .finally(() => {
          open.delete(conn);
          closeQuietly(conn);
        });
    }
  })();

  return {
    get connections() {
      return open.size;
    },
    async close(graceMs = 2000) {
      closed = true;
      closeQuietly(listener);
      await loop;
      const until = Date.now() + graceMs;
      while (open.size > 0 && Date.now() < until) await delay(20);
      for (const conn of open) closeQuietly(conn);
    },
  };
}

interface ConnectionOptions {
  readonly headerTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly writeTimeoutMs: number;
  readonly maxHeaderBytes: number;
  readonly bodyLimit: (method: string, path: string) => number;
  readonly report: (message: string) => void;
}

async function serveConnection(
  conn: Deno.Conn,
  handler: (request: Request) => Promise<Response>,
  o: ConnectionOptions,
): Promise<void> {
  const reader = new ByteReader((p) => conn.read(p));
  const fail = async (error: HttpError) => {
    const kind = error.status === ERROR_STATUS.too_large
      ? "too_large"
      : error.status === ERROR_STATUS.timeout
      ? "timeout"
      : "bad_request";
    try {
      await writeAll(conn, errorResponse(error.status, kind, error.message), o.writeTimeoutMs);
      await linger(conn, 1000);
    } catch {
      // the client is gone
    }
  };

  let head: RequestHead | undefined;
  const headTime = deadline(
    o.headerTimeoutMs,
    () => new HttpError(408, `the request head did not arrive within ${o.headerTimeoutMs}ms`),
  );
  try {
    const reading = readHead(reader, o.maxHeaderBytes);
    reading.catch(() => {});
    head = await Promise.race([reading, headTime.promise]);
  } catch (error) {
    if (error instanceof HttpError) await fail(error);
    return;
  } finally {
    headTime.clear();
  }
  if (!head) return;

  // The body: read on demand by the handler, within its limit and its time.
  let transport: HttpError | undefined;
  let consumed = false;
  const path = head.target.split("?")[0];
  let request: Request;
  try {
    const hasBody = head.method !== "GET" && head.method !== "HEAD";
    const raw = hasBody
      ? bodyStream(reader, head, o.bodyLimit(head.method, path), () => (consumed = true))
      : null;
    if (!raw) consumed = !head.chunked && !head.contentLength;
    if (raw && head.expectContinue) {
      await writeAll(conn, new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n"), 1000);
    }
    const body = raw ? guarded(raw, o.bodyTimeoutMs, (error) => (transport = error)) : null;
    request = new Request(`http://orch${head.target}`, {
      method: head.method,
      headers: new Headers(head.headers as [string, string][]),
      body,
    });
  } catch (error) {
    await fail(error instanceof HttpError ? error : new HttpError(400, "the request is malformed"));
    return;
  }

  let response: Response;
  try {
    response = await handler(request);
  } catch (error) {
    o.report(`control API: ${head.method} ${path}: ${(error as Error)?.stack ?? error}`);
    response = new Response(
      JSON.stringify({ error: { kind: "internal", message: "internal error; see orch's log" } }),
      { status: 500, headers: { "content-type": "application/json" } },
    );
  }
  if (transport) {
    await response.body?.cancel().catch(() => {});
    await fail(transport);
    return;
  }
  await send(conn, reader, head, response, consumed, o);
  // Unread request bytes would make the close a reset, which can lose the response.
  if (!consumed) await linger(conn, 1000);
}

/** The body stream with a deadline for all of it; a transport error is passed to `onError`. */
function guarded(
  raw: ReadableStream<Uint8Array>,
  timeoutMs: number,
  onError: (error: HttpError) => void,
): ReadableStream<Uint8Array> {
  const source = raw.getReader();
  const time = deadline(
    timeoutMs,
    () => new HttpError(408, `the request body did not arrive within ${timeoutMs}ms`),
  );
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const read = source.read();
        read.catch(() => {});
        const { value, done } = await Promise.race([read, time.promise]);
        if (done) {
          time.clear();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        time.clear();
        const http = error instanceof HttpError
          ? error
          : new HttpError(400, "the request body could not be read");
        onError(http);
        controller.error(http);
      }
    },
    cancel() {
      time.clear();
      void source.cancel().catch(() => {});
    },
  }, { highWaterMark: 0 });
}

/** Writes the response; a streamed body goes out chunked, and ends when the client goes away. */
async function send(
  conn: Deno.Conn,
  reader: ByteReader,
  head: RequestHead,
  response: Response,
  consumed: boolean,
  o: ConnectionOptions,
): Promise<void> {
  const status = response.status;
  const bodyless = head.method === "HEAD" || status === 204 || status === 304 || !response.body;
  try {
    if (bodyless) {
      await response.body?.cancel();
      await writeAll(conn, responseHead(status, response.headers, { contentLength: 0 }), 1000);
      return;
    }
    const chunked = head.version === "1.1";
    await writeAll(conn, responseHead(status, response.headers, { chunked }), o.writeTimeoutMs);
    const body = response.body!.getReader();
    // The client going away (end of its stream) ends a long response such as `logs -f`.
    if (consumed) {
      void (async () => {
        try {
          while (await reader.fill());
        } catch {
          // reset by the client
        }
        void body.cancel().catch(() => {});
      })();
    }
    try {
      for (;;) {
        const { value, done } = await body.read();
        if (done) break;
        if (value.length === 0) continue;
        if (!chunked) await writeAll(conn, value, o.writeTimeoutMs);
        else if (value.length < 16 * 1024) await writeAll(conn, chunk(value), o.writeTimeoutMs);
        else {
          // A large chunk is not copied to be framed.
          await writeAll(conn, chunkSize(value.length), o.writeTimeoutMs);
          await writeAll(conn, value, o.writeTimeoutMs);
          await writeAll(conn, CRLF, o.writeTimeoutMs);
        }
      }
      if (chunked) await writeAll(conn, chunk(new Uint8Array(0)), o.writeTimeoutMs);
    } finally {
      await body.cancel().catch(() => {});
    }
  } catch {
    // the client went away or stopped reading; the connection is closed by the caller
    await response.body?.cancel().catch(() => {});
  }
}
