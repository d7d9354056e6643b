/**
 * The client of a running orch's control API: over the project's unix socket, or over TCP with a
 * bearer token (`--host`, `ORCH_HOST`, `ORCH_TOKEN`). API errors come back as the same OrchErrors
 * the engine raised, so that commands exit as they would locally.
 *
 * @module
 */
import {
  ConfigError,
  type ConfigIssue,
  ConflictError,
  NotFoundError,
  OrchError,
  UsageError,
} from "../domain/errors.ts";
import type { RunInfo, ServiceInfo } from "../api/controller.ts";
import type { EngineEvent, InstanceStatus } from "../domain/state.ts";
import type { ServiceSummary } from "../domain/status.ts";
import { findRunning, readRunFile, stateDir, unixClient } from "./state.ts";

/** What `GET /v1/status` returns. */
export interface StatusBody extends RunInfo {
  readonly now: number;
  readonly services: ServiceSummary[];
  readonly instances: InstanceStatus[];
}

/** Where to find the orch to talk to. */
export interface TargetOptions {
  /** A project directory (where `.orch/` is). */
  readonly project?: string;
  /** `http://HOST:PORT` or `HOST:PORT` of a TCP listener. */
  readonly host?: string;
  readonly token?: string;
}

/** A connection to one orch. */
export class Client {
  readonly #base: string;
  readonly #http: Deno.HttpClient | undefined;
  readonly #token: string | undefined;
  /** Where it points, for messages. */
  readonly where: string;

  readonly #unreachable: (() => Promise<Error>) | undefined;

  constructor(
    base: string,
    where: string,
    http?: Deno.HttpClient,
    token?: string,
    unreachable?: () => Promise<Error>,
  ) {
    this.#base = base;
    this.#http = http;
    this.#token = token;
    this.where = where;
    this.#unreachable = unreachable;
  }

  /** A raw request; throws the API's error as an OrchError. */
  async request(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.#base}${path}`, {
        method,
        client: this.#http,
        signal,
        headers: {
          ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}),
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      if (this.#unreachable) throw await this.#unreachable();
      throw new OrchError(`no orch answers at ${this.where}: ${(error as Error).message}`);
    }
    if (response.ok) return response;
    let payload: { error?: { kind?: string; message?: string; issues?: ConfigIssue[] } } = {};
    try {
      payload = await response.json();
    } catch {
      // not JSON
    }
    const message = payload.error?.message ?? `HTTP ${response.status}`;
    switch (response.status) {
      case 400:
        throw new UsageError(message);
      case 401:
        throw new OrchError(`${message} (set ORCH_TOKEN or --token)`, { exitCode: 1 });
      case 403:
        throw new OrchError(message);
      case 404:
        throw new NotFoundError(message);
      case 409:
        throw new ConflictError(message);
      case 422:
        throw payload.error?.issues
          ? new ConfigError(payload.error.issues)
          : new OrchError(message, { exitCode: 2 });
      default:
        throw new OrchError(`orch answered ${response.status}: ${message}`);
    }
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return await (await this.request(method, path, body)).json() as T;
  }

  status(): Promise<StatusBody> {
    return this.json("GET", "/v1/status");
  }

  async services(): Promise<ServiceInfo[]> {
    return (await this.json<{ services: ServiceInfo[] }>("GET", "/v1/services")).services;
  }

  /** Lines of a streaming response (NDJSON or SSE), until it ends or `signal` aborts. */
  async *lines(path: string, signal?: AbortSignal): AsyncGenerator<string> {
    const response = await this.request("GET", path, undefined, signal);
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
      if (!signal?.aborted) throw error;
    } finally {
      reader.releaseLock();
      await response.body?.cancel().catch(() => {});
    }
    if (rest) yield rest;
  }

  /**
   * The engine's events as they come (server-sent events), until the stream ends or `signal`
   * aborts. `onOpen` runs once the server has subscribed, so that nothing asked for after it is
   * missed.
   */
  async *events(signal?: AbortSignal, onOpen?: () => void): AsyncGenerator<EngineEvent> {
    for await (const line of this.lines("/v1/events", signal)) {
      if (line === ": orch events") onOpen?.();
      else if (line.startsWith("data: ")) yield JSON.parse(line.slice(6)) as EngineEvent;
    }
  }

  close(): void {
    this.#http?.close();
  }
}

/**
 * Finds the project directory: the nearest directory upward from `cwd` whose `.orch/` holds
 * `marker` (by default `orch.json`, the run file of a running orch).
 */
export function findProject(cwd: string, marker = "orch.json"): string | undefined {
  let dir = cwd.replace(/\/$/, "") || "/";
  for (;;) {
    try {
      Deno.statSync(`${stateDir(dir)}/${marker}`);
      return dir;
    } catch {
      // keep looking
    }
    if (dir === "/" || dir === "") return undefined;
    dir = dir.slice(0, dir.lastIndexOf("/")) || "/";
  }
}

/** Connects to the orch named by the options (a remote host, or a project's socket). */
export function connect(options: TargetOptions): Promise<Client> {
  if (options.host) {
    const base = /^https?:\/\//.test(options.host)
      ? options.host.replace(/\/$/, "")
      : `http://${options.host}`;
    return Promise.resolve(new Client(base, base, undefined, options.token));
  }
  const project = options.project;
  if (!project) {
    return Promise.reject(new OrchError("no project: give -f FILE, or run in a project directory"));
  }
  const run = readRunFile(project);
  if (!run) {
    return Promise.reject(
      new OrchError(`no orch is running for ${project} (start one with: orch up -d)`),
    );
  }
  // Ask at once; only when nothing answers, find out whether the run file is stale (and clean it).
  const client = new Client(
    "http://orch",
    run.socket,
    unixClient(run.socket),
    undefined,
    async () => {
      try {
        if (await findRunning(project)) {
          return new OrchError(`the orch of ${project} (pid ${run.pid}) did not answer; try again`);
        }
      } catch (error) {
        return error as Error;
      }
      return new OrchError(
        `no orch is running for ${project} (a stale ${stateDir(project)}/orch.json was removed)`,
      );
    },
  );
  return Promise.resolve(client);
}
