/**
 * The control interface over HTTP: a client of a running orch's control API, on the project's
 * unix socket or over TCP with a bearer token. API errors come back as the OrchErrors the serving
 * orch raised (see `errors.ts`), so that a command fails as it would in that process.
 *
 * @module
 */
import {
  formatDuration,
  fromNdjson,
  type LogQuery,
  type LogRecord,
  OrchError,
  type OrchEvent,
  parseDuration,
  type Plan,
} from "../domain/mod.ts";
import type {
  ApplyOutcome,
  Control,
  LogOptions,
  LogStream,
  RunInfo,
  ServiceInfo,
  ServiceStatus,
  StackSource,
  StatusSnapshot,
  Stream,
} from "./control.ts";
import { type ErrorBody, errorFromResponse } from "./errors.ts";
import { HttpFlows } from "./flows_http.ts";

/** Where an HTTP control talks to, and how. */
export interface HttpTarget {
  /** `http://HOST:PORT`, or `http://localhost` with `http` set to a unix-socket client. */
  readonly base: string;
  /** Where it points, for messages. */
  readonly where: string;
  readonly http?: Deno.HttpClient;
  readonly token?: string;
  /** The error when nothing answers (the caller may find out why: a stale run file). */
  readonly unreachable?: () => Promise<Error>;
}

/** The first line of `/v1/events`: the server has subscribed. */
const EVENTS_OPENED = ": orch events";

/** A running orch's control API, as the control interface. */
export class HttpControl implements Control {
  readonly #target: HttpTarget;
  readonly where: string;
  /** The flows of that orch. */
  readonly flows: HttpFlows;

  constructor(target: HttpTarget) {
    this.#target = target;
    this.where = target.where;
    this.flows = new HttpFlows(this);
  }

  /**
   * A request to the API (for what this interface does not cover); resolves with a 2xx
   * response, or throws the API's error as an OrchError (see `errors.ts`).
   */
  async request(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<Response> {
    const { base, http, token, unreachable } = this.#target;
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        client: http,
        signal,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      if (unreachable) throw await unreachable();
      throw new OrchError(`no orch answers at ${this.where}: ${(error as Error).message}`);
    }
    if (response.ok) return response;
    let payload: ErrorBody = {};
    try {
      payload = await response.json();
    } catch {
      // not JSON
    }
    throw errorFromResponse(response.status, payload);
  }

  /** A request whose answer is JSON (see {@link request}). */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return await (await this.request(method, path, body)).json() as T;
  }

  #action(service: string, action: string, body?: unknown) {
    return this.json<Record<string, unknown>>(
      "POST",
      `/v1/services/${encodeURIComponent(service)}/${action}`,
      body,
    );
  }

  /** Lines of a streaming response, until it ends or `signal` aborts. */
  #lines(path: string, signal: AbortSignal): Promise<AsyncGenerator<string>> {
    return this.lines("GET", path, undefined, signal);
  }

  /** The lines of a streaming answer (NDJSON, SSE), until it ends or `signal` aborts. */
  async lines(
    method: string,
    path: string,
    body: unknown,
    signal: AbortSignal,
  ): Promise<AsyncGenerator<string>> {
    const response = await this.request(method, path, body, signal);
    return lines(response, signal);
  }

  info(): Promise<RunInfo> {
    return this.json("GET", "/v1/health");
  }

  status(options: { readonly usage?: boolean } = {}): Promise<StatusSnapshot> {
    return this.json("GET", options.usage === false ? "/v1/status?usage=false" : "/v1/status");
  }

  async services(): Promise<ServiceInfo[]> {
    return (await this.json<{ services: ServiceInfo[] }>("GET", "/v1/services")).services;
  }

  service(name: string): Promise<ServiceStatus> {
    return this.json("GET", `/v1/services/${encodeURIComponent(name)}`);
  }

  async start(service: string): Promise<void> {
    await this.#action(service, "start");
  }

  async stop(service: string): Promise<void> {
    await this.#action(service, "stop");
  }

  async restart(service: string): Promise<void> {
    await this.#action(service, "restart");
  }

  async scale(service: string, replicas: number): Promise<void> {
    await this.#action(service, "scale", { replicas });
  }

  async send(service: string, text: string): Promise<number> {
    return (await this.#action(service, "send", { text })).delivered as number;
  }

  async plan(source: StackSource): Promise<Plan> {
    return (await this.json<{ plan: Plan }>("POST", "/v1/apply", { ...source, dryRun: true }))
      .plan;
  }

  apply(source: StackSource): Promise<ApplyOutcome> {
    return this.json("POST", "/v1/apply", source);
  }

  async logs(query: LogQuery, options: LogOptions = {}): Promise<LogStream> {
    const params = new URLSearchParams();
    for (const s of query.services ?? []) params.append("service", s);
    const since = options.since ??
      (query.since !== undefined ? new Date(query.since).toISOString() : undefined);
    if (since !== undefined) params.set("since", since);
    if (options.tail !== undefined) params.set("tail", String(options.tail));
    if (query.minLevel) params.set("level", query.minLevel);
    if (query.run !== undefined) params.set("run", String(query.run));
    if (query.task !== undefined) params.set("task", query.task);
    if (options.follow) params.set("follow", "true");
    const stop = new AbortController();
    const text = await this.#lines(`/v1/logs?${params}`, stop.signal);
    return logStream(text, () => stop.abort());
  }

  async events(): Promise<Stream<OrchEvent>> {
    const stop = new AbortController();
    const text = await this.#lines("/v1/events", stop.signal);
    // The server subscribes before it sends its first line: wait for it, so that nothing asked
    // for after this resolves is missed.
    for (;;) {
      const { value, done } = await text.next();
      if (done || value === EVENTS_OPENED) break;
    }
    async function* events(): AsyncGenerator<OrchEvent> {
      for await (const line of text) {
        if (line.startsWith("data: ")) yield JSON.parse(line.slice(6)) as OrchEvent;
      }
    }
    return streamOf(events(), () => stop.abort());
  }

  async shutdown(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    const ms = options.timeoutMs;
    // As people write it (5s, 1m30s), unless that would round it.
    const timeout = ms === undefined
      ? undefined
      : parseDuration(formatDuration(ms)) === ms
      ? formatDuration(ms)
      : `${ms}ms`;
    const body = timeout !== undefined ? { timeout } : {};
    await this.json("POST", "/v1/shutdown", body);
  }

  close(): void {
    this.#target.http?.close();
  }
}

/** The lines of a response body (NDJSON or SSE), until it ends or `signal` aborts. */
async function* lines(response: Response, signal: AbortSignal): AsyncGenerator<string> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let rest = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += value;
      let nl: number;
      while ((nl = rest.indexOf("\n")) >= 0) {
        yield rest.slice(0, nl);
        rest = rest.slice(nl + 1);
      }
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  } finally {
    reader.releaseLock();
    await response.body?.cancel().catch(() => {});
  }
  if (rest && !signal.aborted) yield rest;
}

/** Items of an iterator as a stream: batches of one, `close` ends it. */
function streamOf<T>(items: AsyncGenerator<T>, close: () => void): Stream<T> {
  return {
    [Symbol.asyncIterator]: () => items,
    async *batches() {
      for await (const item of items) yield [item];
    },
    close() {
      close();
      void items.return(undefined).catch(() => {});
    },
  };
}

const encoder = new TextEncoder();

/** NDJSON lines as a log stream. */
function logStream(text: AsyncGenerator<string>, close: () => void): LogStream {
  async function* records(): AsyncGenerator<LogRecord> {
    for await (const line of text) if (line) yield fromNdjson(line);
  }
  const stream = streamOf(records(), close);
  return {
    ...stream,
    async *ndjson() {
      for await (const line of text) if (line) yield encoder.encode(`${line}\n`);
    },
  };
}
