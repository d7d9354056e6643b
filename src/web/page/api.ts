/// <reference lib="dom" />
/**
 * The page's client of orch: JSON requests with the session cookie (and the CSRF header on every
 * change), NDJSON streams read line by line, and the server-sent events. An answer of 401 means
 * the session ended: the page goes back to its login.
 *
 * @module
 */
import { LineSplitter } from "../logview.ts";

/** An error answer of the API: its status, kind and message. */
export class ApiError extends Error {
  readonly status: number;
  readonly kind: string;
  readonly body: unknown;
  constructor(status: number, kind: string, message: string, body: unknown) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.kind = kind;
    this.body = body;
  }
}

/** The session as `GET /ui/session` describes it. */
export interface SessionInfo {
  readonly access: "admin" | "read";
  readonly csrf: string;
  readonly expiresAt: number;
}

async function errorOf(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { kind?: unknown; message?: unknown } } | undefined)?.error;
  const kind = typeof error?.kind === "string" ? error.kind : "error";
  const message = typeof error?.message === "string"
    ? error.message
    : `${response.status} ${response.statusText}`;
  return new ApiError(response.status, kind, message, body);
}

/** The client. */
export class Api {
  #csrf = "";
  /** Called when an answer says the session is gone. */
  onUnauthorized: () => void = () => {};

  /** Reads the session (undefined when there is none), keeping its CSRF token. */
  async session(): Promise<SessionInfo | undefined> {
    const response = await fetch("/ui/session", { cache: "no-store" });
    if (response.status === 401) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) throw await errorOf(response);
    const info = await response.json() as SessionInfo;
    this.#csrf = info.csrf;
    return info;
  }

  /** Logs in with a pasted token. */
  async login(token: string): Promise<SessionInfo> {
    const response = await fetch("/ui/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token }),
    });
    if (!response.ok) throw await errorOf(response);
    const info = await response.json() as SessionInfo;
    this.#csrf = info.csrf;
    return info;
  }

  async logout(): Promise<void> {
    await this.#send("POST", "/ui/logout");
  }

  /** A JSON request; a change carries the CSRF header. */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.#send(method, path, body);
    return await response.json() as T;
  }

  async #send(method: string, path: string, body?: unknown, signal?: AbortSignal) {
    const headers: Record<string, string> = {};
    if (method !== "GET") headers["x-orch-csrf"] = this.#csrf;
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(path, {
      method,
      headers,
      cache: "no-store",
      signal,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      const error = await errorOf(response);
      if (response.status === 401) this.onUnauthorized();
      throw error;
    }
    return response;
  }

  /** Reads an NDJSON stream, giving its lines in batches, until it ends or `signal` aborts. */
  async lines(path: string, each: (lines: string[]) => void, signal: AbortSignal): Promise<void> {
    const response = await this.#send("GET", path, undefined, signal);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    const split = new LineSplitter();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const lines = split.feed(value);
        if (lines.length) each(lines);
      }
      const rest = split.end();
      if (rest.length) each(rest);
    } finally {
      reader.cancel().catch(() => {});
    }
  }

  /**
   * Follows `/v1/events`: each event's type and data; `onOpen(true)` when connected,
   * `onOpen(false)` while it reconnects. Returns the function that stops it.
   */
  events(
    types: readonly string[],
    each: (type: string, data: unknown) => void,
    onOpen: (open: boolean) => void,
  ): () => void {
    const source = new EventSource("/v1/events");
    source.onopen = () => onOpen(true);
    source.onerror = () => onOpen(false);
    for (const type of types) {
      source.addEventListener(type, (event) => {
        try {
          each(type, JSON.parse((event as MessageEvent).data));
        } catch {
          // not JSON: not an event of orch's
        }
      });
    }
    return () => source.close();
  }
}
