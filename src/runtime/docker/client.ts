/**
 * A small Docker Engine API client: JSON endpoints through `fetch` on the engine's unix socket (or
 * TCP), and the hijacked attach stream over a raw connection. The API version is negotiated from
 * `/_ping`, so that engines from API 1.41 on work. No docker CLI involved.
 *
 * @module
 */

/** The oldest engine API this client speaks. */
export const MIN_API = "1.41";
/** The newest it asks for. */
export const MAX_API = "1.45";

/** Where the engine is. */
export type Endpoint =
  | { readonly kind: "unix"; readonly path: string }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number };

/** Parses DOCKER_HOST (`unix:///var/run/docker.sock`, `tcp://127.0.0.1:2375`). */
export function endpointFrom(dockerHost: string | undefined): Endpoint {
  const value = dockerHost?.trim() || "unix:///var/run/docker.sock";
  if (value.startsWith("unix://")) return { kind: "unix", path: value.slice("unix://".length) };
  const tcp = /^(?:tcp|http):\/\/([^:/]+):(\d+)\/?$/.exec(value);
  if (tcp) return { kind: "tcp", host: tcp[1], port: Number(tcp[2]) };
  throw new DockerError(`DOCKER_HOST "${value}" is not unix://PATH or tcp://HOST:PORT`, "config");
}

/** What kind of trouble talking to the engine was. */
export type DockerTrouble =
  | "unreachable"
  | "refused"
  | "permission"
  | "api"
  | "config"
  | "notFound";

/** An engine error, with a message a person can act on. */
export class DockerError extends Error {
  readonly trouble: DockerTrouble;
  readonly status: number | undefined;
  constructor(message: string, trouble: DockerTrouble, status?: number) {
    super(message);
    this.name = "DockerError";
    this.trouble = trouble;
    this.status = status;
  }
}

function compareVersions(a: string, b: string): number {
  const [a1, a2] = a.split(".").map(Number);
  const [b1, b2] = b.split(".").map(Number);
  return a1 - b1 || a2 - b2;
}

/** Explains a connection failure. */
export function explain(endpoint: Endpoint, error: unknown): DockerError {
  const where = endpoint.kind === "unix"
    ? `unix://${endpoint.path}`
    : `tcp://${endpoint.host}:${endpoint.port}`;
  const text = `${(error as Error)?.message ?? error} ${
    (error as { cause?: Error })?.cause?.message ?? ""
  }`;
  if (error instanceof Deno.errors.PermissionDenied || /permission denied|EACCES/i.test(text)) {
    return new DockerError(
      `permission denied on ${where}: run orch as a user in the docker group (or as root)`,
      "permission",
    );
  }
  if (error instanceof Deno.errors.NotFound || /No such file|ENOENT|os error 2\b/i.test(text)) {
    return new DockerError(
      `no Docker engine at ${where} (no such socket): start dockerd, or set DOCKER_HOST`,
      "unreachable",
    );
  }
  if (
    error instanceof Deno.errors.ConnectionRefused ||
    /refused|ECONNREFUSED|os error 111/i.test(text)
  ) {
    return new DockerError(
      `the Docker engine at ${where} refused the connection: is dockerd running?`,
      "refused",
    );
  }
  return new DockerError(
    `cannot reach the Docker engine at ${where}: ${text.trim()}`,
    "unreachable",
  );
}

/** A hijacked attach: the raw stream in, stdin out. */
export interface Attached {
  readonly readable: ReadableStream<Uint8Array>;
  write(data: Uint8Array): Promise<void>;
  close(): void;
}

/** The client. */
export class DockerClient {
  readonly endpoint: Endpoint;
  readonly #http: Deno.HttpClient | undefined;
  readonly #base: string;
  #version: string | undefined;

  constructor(endpoint: Endpoint) {
    this.endpoint = endpoint;
    if (endpoint.kind === "unix") {
      this.#http = Deno.createHttpClient({ proxy: { transport: "unix", path: endpoint.path } });
      // localhost, not a made-up name: Deno resolves the host even for a unix socket, and a DNS
      // query for a name that does not exist stalled a request 5 s now and then.
      this.#base = "http://localhost";
    } else {
      this.#base = `http://${endpoint.host}:${endpoint.port}`;
    }
  }

  /** The negotiated API version (after the first request). */
  get version(): string | undefined {
    return this.#version;
  }

  async #fetch(path: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetch(`${this.#base}${path}`, { ...init, client: this.#http });
    } catch (error) {
      if ((init.signal as AbortSignal | undefined)?.aborted) throw error;
      throw explain(this.endpoint, error);
    }
  }

  /** Pings the engine and settles the API version. */
  async negotiate(): Promise<string> {
    if (this.#version) return this.#version;
    const response = await this.#fetch("/_ping");
    await response.body?.cancel();
    const engine = response.headers.get("api-version") ?? MIN_API;
    if (compareVersions(engine, MIN_API) < 0) {
      throw new DockerError(
        `the Docker engine speaks API ${engine}; orch needs ${MIN_API} or newer`,
        "api",
      );
    }
    this.#version = compareVersions(engine, MAX_API) > 0 ? MAX_API : engine;
    return this.#version;
  }

  /** A versioned request; throws DockerError with the engine's message on an error status. */
  async request(
    method: string,
    path: string,
    options: {
      body?: unknown;
      query?: Record<string, string | number | boolean | undefined>;
      signal?: AbortSignal;
    } = {},
  ): Promise<Response> {
    const version = await this.negotiate();
    const query = Object.entries(options.query ?? {})
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join("&");
    const response = await this.#fetch(`/v${version}${path}${query ? `?${query}` : ""}`, {
      method,
      signal: options.signal,
      headers: options.body !== undefined ? { "content-type": "application/json" } : {},
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    });
    if (response.ok) return response;
    let message = `${response.status} ${response.statusText}`;
    try {
      const text = await response.text();
      message = JSON.parse(text).message ?? text;
    } catch {
      // keep the status line
    }
    throw new DockerError(message, response.status === 404 ? "notFound" : "api", response.status);
  }

  async json<T>(
    method: string,
    path: string,
    options: Parameters<DockerClient["request"]>[2] = {},
  ): Promise<T> {
    const response = await this.request(method, path, options);
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Like `request`, for calls whose body does not matter. */
  async call(
    method: string,
    path: string,
    options: Parameters<DockerClient["request"]>[2] = {},
  ): Promise<void> {
    const response = await this.request(method, path, options);
    await response.body?.cancel();
  }

  /** Whether an image is present. */
  async hasImage(image: string): Promise<boolean> {
    try {
      await this.call("GET", `/images/${encodeURIComponent(image)}/json`);
      return true;
    } catch (error) {
      if (error instanceof DockerError && error.status === 404) return false;
      throw error;
    }
  }

  /** Pulls an image, reporting progress lines; throws with the engine's message on failure. */
  async pull(image: string, onProgress: (line: string) => void): Promise<void> {
    const at = image.lastIndexOf(":");
    const slash = image.lastIndexOf("/");
    const [name, tag] = at > slash ? [image.slice(0, at), image.slice(at + 1)] : [image, "latest"];
    const response = await this.request("POST", "/images/create", {
      query: { fromImage: name, tag },
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let rest = "";
    let last = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += value;
      let nl: number;
      while ((nl = rest.indexOf("\n")) >= 0) {
        const line = rest.slice(0, nl).trim();
        rest = rest.slice(nl + 1);
        if (!line) continue;
        const event = JSON.parse(line) as {
          status?: string;
          id?: string;
          progress?: string;
          error?: string;
        };
        if (event.error) throw new DockerError(event.error, "api");
        const text = [event.id, event.status, event.progress].filter(Boolean).join(" ");
        // Progress bars repeat many times a second: report each distinct status once.
        const key = `${event.id} ${event.status}`;
        if (key !== last) onProgress(text);
        last = key;
      }
    }
  }

  /**
   * Attaches to a container's stdin, stdout and stderr on a hijacked connection. Attach before
   * starting the container, so that no output is lost.
   */
  async attach(id: string): Promise<Attached> {
    const version = await this.negotiate();
    let conn: Deno.Conn;
    try {
      conn = this.endpoint.kind === "unix"
        ? await Deno.connect({ transport: "unix", path: this.endpoint.path })
        : await Deno.connect({ hostname: this.endpoint.host, port: this.endpoint.port });
    } catch (error) {
      throw explain(this.endpoint, error);
    }
    const request =
      `POST /v${version}/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\n` +
      `Host: docker\r\nUpgrade: tcp\r\nConnection: Upgrade\r\nContent-Length: 0\r\n\r\n`;
    await writeAll(conn, new TextEncoder().encode(request));
    // Read up to the end of the response headers; what follows is the raw stream.
    const reader = conn.readable.getReader();
    let head: Uint8Array = new Uint8Array(0);
    let end = -1;
    while (end < 0) {
      const { value, done } = await reader.read();
      if (done) {
        conn.close();
        throw new DockerError(
          `attach to ${id.slice(0, 12)}: the engine closed the connection`,
          "api",
        );
      }
      head = concat(head, value);
      end = indexOfCrlfCrlf(head);
    }
    const status = new TextDecoder().decode(head.subarray(0, end)).split("\r\n")[0];
    if (!/^HTTP\/1\.[01] (101|200)/.test(status)) {
      reader.releaseLock();
      conn.close();
      throw new DockerError(`attach to ${id.slice(0, 12)}: ${status}`, "api");
    }
    const first = head.subarray(end + 4);
    let closed = false;
    const readable = new ReadableStream<Uint8Array>({
      start(controller) {
        if (first.length > 0) controller.enqueue(first);
      },
      async pull(controller) {
        try {
          const { value, done } = await reader.read();
          if (done) {
            controller.close();
            return;
          }
          controller.enqueue(value);
        } catch {
          controller.close();
        }
      },
      cancel() {
        closed = true;
        reader.cancel().catch(() => {});
      },
    });
    return {
      readable,
      write: (data) => writeAll(conn, data),
      close() {
        if (closed) return;
        closed = true;
        try {
          conn.close();
        } catch {
          // already closed
        }
      },
    };
  }

  close(): void {
    this.#http?.close();
  }
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += await conn.write(data.subarray(offset));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function indexOfCrlfCrlf(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

/**
 * Splits Docker's multiplexed stream (8-byte headers: stream 1 = stdout, 2 = stderr, then a
 * big-endian length) into stdout and stderr.
 */
export function demultiplex(
  source: ReadableStream<Uint8Array>,
): { stdout: ReadableStream<Uint8Array>; stderr: ReadableStream<Uint8Array> } {
  let out!: ReadableStreamDefaultController<Uint8Array>;
  let err!: ReadableStreamDefaultController<Uint8Array>;
  const stdout = new ReadableStream<Uint8Array>({ start: (c) => void (out = c) });
  const stderr = new ReadableStream<Uint8Array>({ start: (c) => void (err = c) });
  (async () => {
    let buffer: Uint8Array = new Uint8Array(0);
    try {
      for await (const chunk of source) {
        buffer = buffer.length ? concat(buffer, chunk) : chunk;
        let offset = 0;
        while (buffer.length - offset >= 8) {
          const kind = buffer[offset];
          const size = new DataView(buffer.buffer, buffer.byteOffset + offset + 4, 4).getUint32(0);
          if (buffer.length - offset - 8 < size) break;
          const payload = buffer.slice(offset + 8, offset + 8 + size);
          (kind === 2 ? err : out).enqueue(payload);
          offset += 8 + size;
        }
        buffer = buffer.slice(offset);
      }
    } catch {
      // the connection ended
    }
    try {
      out.close();
    } catch { /* closed */ }
    try {
      err.close();
    } catch { /* closed */ }
  })();
  return { stdout, stderr };
}
