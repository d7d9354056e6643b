/**
 * The HTTP/1.1 wire format the control API's server needs, and no more: a request head parsed
 * under a size bound, request bodies by `Content-Length` or chunked under a byte limit, and
 * response heads. Everything a client sends is checked; a malformed head is an {@link HttpError}
 * with the status to answer.
 *
 * @module
 */

/** A request the server refuses, with the status and the words to answer it with. */
export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "HttpError";
    this.status = status;
  }
}

/** A parsed request head. */
export interface RequestHead {
  readonly method: string;
  /** The request target as sent (origin form: `/path?query`). */
  readonly target: string;
  /** `1.0` or `1.1`. */
  readonly version: string;
  readonly headers: readonly (readonly [string, string])[];
  /** The body's length, when `Content-Length` gives it. */
  readonly contentLength: number | undefined;
  readonly chunked: boolean;
  readonly expectContinue: boolean;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const MAX_HEADERS = 100;

/** Unread bytes of a connection, read as needed. */
export class ByteReader {
  #buffer = new Uint8Array(0);
  readonly #read: (into: Uint8Array) => Promise<number | null>;
  #eof = false;

  constructor(read: (into: Uint8Array) => Promise<number | null>) {
    this.#read = read;
  }

  /** Whether the peer has closed its side and nothing is left unread. */
  get done(): boolean {
    return this.#eof && this.#buffer.length === 0;
  }

  /** Bytes buffered but not yet taken. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** Reads once more from the connection; false at its end. */
  async fill(): Promise<boolean> {
    if (this.#eof) return false;
    const chunk = new Uint8Array(64 * 1024);
    const n = await this.#read(chunk);
    if (n === null) {
      this.#eof = true;
      return false;
    }
    const joined = new Uint8Array(this.#buffer.length + n);
    joined.set(this.#buffer);
    joined.set(chunk.subarray(0, n), this.#buffer.length);
    this.#buffer = joined;
    return true;
  }

  /** Takes `n` buffered bytes. */
  take(n: number): Uint8Array {
    const out = this.#buffer.slice(0, n);
    this.#buffer = this.#buffer.subarray(n);
    return out;
  }

  /** The index of `\r\n` (or of `\r\n\r\n` with `blank`) in the buffer, or -1. */
  find(blank: boolean): number {
    const b = this.#buffer;
    for (let i = 0; i + 1 < b.length; i++) {
      if (b[i] !== 13 || b[i + 1] !== 10) continue;
      if (!blank) return i;
      if (b[i + 2] === 13 && b[i + 3] === 10) return i;
    }
    return -1;
  }

  /** A line ending in CRLF (without it), at most `max` bytes. */
  async line(max: number, what: string): Promise<string> {
    for (;;) {
      const at = this.find(false);
      if (at >= 0) {
        const text = decoder.decode(this.take(at));
        this.take(2);
        return text;
      }
      if (this.#buffer.length > max) {
        throw new HttpError(400, `${what} is longer than ${max} bytes`);
      }
      if (!await this.fill()) throw new HttpError(400, `the connection ended inside ${what}`);
    }
  }
}

/**
 * Reads and parses a request head of at most `maxBytes`.
 *
 * @returns undefined when the peer closed the connection before sending anything.
 * @throws {HttpError} 400 for a malformed head, 431 for one too large, 501/505 for what this
 *   server does not speak.
 */
export async function readHead(
  reader: ByteReader,
  maxBytes: number,
): Promise<RequestHead | undefined> {
  let end: number;
  while ((end = reader.find(true)) < 0) {
    if (reader.buffered > maxBytes) {
      throw new HttpError(431, `the request head is larger than ${maxBytes} bytes`);
    }
    if (!await reader.fill()) {
      if (reader.buffered === 0) return undefined;
      throw new HttpError(400, "the connection ended inside the request head");
    }
  }
  if (end > maxBytes) throw new HttpError(431, `the request head is larger than ${maxBytes} bytes`);
  const text = decoder.decode(reader.take(end));
  reader.take(4);
  return parseHead(text);
}

/** Parses the text of a request head (without its final blank line). */
export function parseHead(text: string): RequestHead {
  const lines = text.split("\r\n");
  const match = /^([A-Z]+) (\S+) HTTP\/(\d\.\d)$/.exec(lines[0]);
  if (!match) throw new HttpError(400, "the request line is not METHOD TARGET HTTP/1.1");
  const [, method, given, version] = match;
  if (version !== "1.1" && version !== "1.0") {
    throw new HttpError(505, `HTTP/${version} is not supported; use HTTP/1.1`);
  }
  // Clients that reach a unix socket as a proxy (Deno's fetch) send the absolute form.
  let target = given;
  if (/^https?:\/\//i.test(given)) {
    try {
      const url = new URL(given);
      target = url.pathname + url.search;
    } catch {
      throw new HttpError(400, "the request target is not a valid URL");
    }
  }
  if (!target.startsWith("/")) throw new HttpError(400, "the request target must be a path");
  if (lines.length - 1 > MAX_HEADERS) throw new HttpError(431, `more than ${MAX_HEADERS} headers`);
  const headers: [string, string][] = [];
  const lengths = new Set<string>();
  let transfer: string | undefined;
  let expectContinue = false;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    const value = line.slice(colon + 1).trim();
    if (!TOKEN.test(name) || !HEADER_VALUE.test(value)) {
      throw new HttpError(400, "a header line is malformed");
    }
    const lower = name.toLowerCase();
    if (lower === "content-length") lengths.add(value);
    else if (lower === "transfer-encoding") transfer = value.toLowerCase();
    else if (lower === "expect") expectContinue = value.toLowerCase() === "100-continue";
    headers.push([name, value]);
  }
  if (transfer !== undefined && transfer !== "chunked") {
    throw new HttpError(501, `transfer-encoding "${transfer}" is not supported; use chunked`);
  }
  if (transfer !== undefined && lengths.size > 0) {
    throw new HttpError(400, "a request has either content-length or transfer-encoding, not both");
  }
  if (lengths.size > 1) throw new HttpError(400, "conflicting content-length headers");
  const length = [...lengths][0];
  if (length !== undefined && !/^\d{1,15}$/.test(length)) {
    throw new HttpError(400, "content-length is not a whole number");
  }
  return {
    method,
    target,
    version,
    headers,
    contentLength: length === undefined ? undefined : Number(length),
    chunked: transfer === "chunked",
    expectContinue,
  };
}

/**
 * The request body as a stream of at most `limit` bytes. It errors with an {@link HttpError}
 * (413) as soon as the body is larger, and with whatever the connection throws.
 */
export function bodyStream(
  reader: ByteReader,
  head: RequestHead,
  limit: number,
  onDone: () => void,
): ReadableStream<Uint8Array> | null {
  if (!head.chunked && !head.contentLength) {
    onDone();
    return null;
  }
  if (head.contentLength !== undefined && head.contentLength > limit) {
    throw new HttpError(413, `the request body is larger than ${limit} bytes`);
  }
  let left = head.contentLength ?? 0;
  let total = 0;
  const next = async (): Promise<Uint8Array | undefined> => {
    if (head.chunked && left === 0) {
      const size = await reader.line(1024, "a chunk size");
      const n = parseInt(size.split(";")[0].trim(), 16);
      if (!/^[0-9a-fA-F]+/.test(size.trim()) || !Number.isSafeInteger(n)) {
        throw new HttpError(400, "a chunk size is not hexadecimal");
      }
      if (n === 0) {
        // Trailers, then the blank line.
        while ((await reader.line(8192, "the chunked trailer")) !== "");
        return undefined;
      }
      left = n;
      if (total + n > limit) {
        throw new HttpError(413, `the request body is larger than ${limit} bytes`);
      }
    }
    if (left === 0) return undefined;
    if (reader.buffered === 0 && !await reader.fill()) {
      throw new HttpError(400, "the connection ended inside the request body");
    }
    const chunk = reader.take(Math.min(left, reader.buffered));
    left -= chunk.length;
    total += chunk.length;
    if (head.chunked && left === 0) {
      if ((await reader.line(2, "a chunk's end")) !== "") {
        throw new HttpError(400, "a chunk does not end with CRLF");
      }
    }
    return chunk;
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await next();
        if (chunk) {
          controller.enqueue(chunk);
          return;
        }
        onDone();
        controller.close();
      } catch (error) {
        controller.error(error);
      }
    },
  }, { highWaterMark: 0 });
}

const REASONS: Readonly<Record<number, string>> = {
  100: "Continue",
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  413: "Content Too Large",
  422: "Unprocessable Content",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};

/** The bytes of a response head. `chunked` adds `transfer-encoding: chunked`. */
export function responseHead(
  status: number,
  headers: Iterable<readonly [string, string]>,
  options: { chunked?: boolean; contentLength?: number },
): Uint8Array {
  const reason = Object.hasOwn(REASONS, status) ? REASONS[status] : "";
  let text = `HTTP/1.1 ${status} ${reason}\r\n`;
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (lower === "connection" || lower === "transfer-encoding" || lower === "content-length") {
      continue;
    }
    text += `${name}: ${value}\r\n`;
  }
  if (options.chunked) text += "transfer-encoding: chunked\r\n";
  if (options.contentLength !== undefined) text += `content-length: ${options.contentLength}\r\n`;
  return encoder.encode(`${text}connection: close\r\n\r\n`);
}

/** The line before a chunk of `size` bytes. */
export function chunkSize(size: number): Uint8Array {
  return encoder.encode(`${size.toString(16)}\r\n`);
}

/** The end of a chunk. */
export const CRLF: Uint8Array = new Uint8Array([13, 10]);

/** One chunk of a chunked body (an empty one ends the body). */
export function chunk(data: Uint8Array): Uint8Array {
  const size = encoder.encode(`${data.length.toString(16)}\r\n`);
  const out = new Uint8Array(size.length + data.length + 2);
  out.set(size);
  out.set(data, size.length);
  out.set([13, 10], size.length + data.length);
  return out;
}

/** A whole JSON error response in orch's words: `{"error": {"kind", "message"}}`. */
export function errorResponse(status: number, kind: string, message: string): Uint8Array {
  const body = encoder.encode(JSON.stringify({ error: { kind, message } }) + "\n");
  const head = responseHead(status, [["content-type", "application/json"]], {
    contentLength: body.length,
  });
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}
