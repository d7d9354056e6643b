/**
 * The control API as a plain `Request -> Response` function: routing, authorization, JSON, NDJSON
 * log streams and server-sent events. It knows nothing of sockets; the CLI serves it on a unix socket
 * and, optionally, on TCP with tokens.
 *
 * @module
 */
import { parseDuration, parseTimeAgo } from "../domain/duration.ts";
import {
  ConfigError,
  ConflictError,
  NotFoundError,
  OrchError,
  UsageError,
} from "../domain/errors.ts";
import { type Level, LEVELS, type LogQuery, toNdjson } from "../domain/log.ts";
import { summarize } from "../domain/status.ts";
import type { Controller } from "./controller.ts";
import { renderMetrics } from "./metrics.ts";
import { OPENAPI } from "./openapi.ts";

/** Bearer tokens for a TCP listener. A unix socket is served without them (its mode protects it). */
export interface Tokens {
  /** May call everything. */
  readonly admin: string;
  /** May call only what changes nothing. */
  readonly readOnly?: string;
}

/** Options of the handler. */
export interface HandlerOptions {
  /** Required on TCP; absent on the unix socket. */
  readonly tokens?: Tokens;
  readonly now?: () => number;
  /** Interval of SSE keep-alive comments. */
  readonly keepAliveMs?: number;
}

/** The kinds of error the API returns, with their status codes. */
const STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  invalid_config: 422,
  internal: 500,
} as const;

/** An error body: `{ error: { kind, message, issues? } }`. */
export type ErrorKind = keyof typeof STATUS;

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body, null, 2) + "\n", {
    status,
    headers: { "content-type": "application/json" },
  });
}

function fail(kind: ErrorKind, message: string, extra: Record<string, unknown> = {}): Response {
  return json({ error: { kind, message, ...extra } }, STATUS[kind]);
}

function fromError(error: unknown): Response {
  if (error instanceof ConfigError) {
    return fail("invalid_config", error.message, { issues: error.issues });
  }
  if (error instanceof NotFoundError) return fail("not_found", error.message);
  if (error instanceof ConflictError) return fail("conflict", error.message);
  if (error instanceof UsageError) return fail("bad_request", error.message);
  if (error instanceof OrchError) return fail("conflict", error.message);
  return fail("internal", (error as Error)?.message ?? String(error));
}

/** Constant-time comparison of two tokens. */
function sameToken(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

type Access = "admin" | "read" | undefined;

function accessOf(request: Request, tokens: Tokens | undefined): Access {
  if (!tokens) return "admin";
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) return undefined;
  if (sameToken(match[1], tokens.admin)) return "admin";
  if (tokens.readOnly && sameToken(match[1], tokens.readOnly)) return "read";
  return undefined;
}

async function body(request: Request): Promise<Record<string, unknown>> {
  const text = await request.text();
  if (text.trim() === "") return {};
  try {
    const value = JSON.parse(text);
    if (value && typeof value === "object" && !Array.isArray(value)) return value;
  } catch {
    // fall through
  }
  throw new UsageError("the request body must be a JSON object");
}

/** Parses `since`: a duration back from now (`10m`), an ISO time, or ms since the epoch. */
export function parseSince(value: string, now: number): number {
  const at = parseTimeAgo(value, now);
  if (at === undefined) {
    throw new UsageError(`since: "${value}" is neither a duration (10m) nor a time (ISO 8601)`);
  }
  return at;
}

function logQuery(url: URL, now: number): { query: LogQuery; tail?: number } {
  const services = url.searchParams.getAll("service").flatMap((s) => s.split(",")).filter(Boolean);
  const level = url.searchParams.get("level");
  if (level && !(LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`level: "${level}" is not one of ${LEVELS.join(", ")}`);
  }
  const since = url.searchParams.get("since");
  const tailText = url.searchParams.get("tail");
  const tail = tailText === null ? undefined : Number(tailText);
  if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) {
    throw new UsageError(`tail: "${tailText}" is not a whole number`);
  }
  return {
    query: {
      ...(services.length ? { services } : {}),
      ...(level ? { minLevel: level as Level } : {}),
      ...(since ? { since: parseSince(since, now) } : {}),
    },
    tail,
  };
}

/** Streams an async iterable as lines, closing it when the client goes away. */
function stream<T>(
  source: AsyncIterable<T> & { close(): void },
  first: readonly string[],
  render: (item: T) => string,
  contentType: string,
  keepAlive?: { ms: number; text: string },
): Response {
  const encoder = new TextEncoder();
  let timer: ReturnType<typeof setInterval> | undefined;
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (const line of first) controller.enqueue(encoder.encode(line));
      if (keepAlive) {
        timer = setInterval(() => {
          try {
            controller.enqueue(encoder.encode(keepAlive.text));
          } catch {
            clearInterval(timer);
          }
        }, keepAlive.ms);
      }
      try {
        for await (const item of source) controller.enqueue(encoder.encode(render(item)));
        controller.close();
      } catch {
        // the client went away
      } finally {
        clearInterval(timer);
      }
    },
    cancel() {
      clearInterval(timer);
      source.close();
    },
  });
  return new Response(body, {
    headers: { "content-type": contentType, "cache-control": "no-store" },
  });
}

/** Builds the handler for one running stack. */
export function createHandler(
  controller: Controller,
  options: HandlerOptions = {},
): (request: Request) => Promise<Response> {
  const now = options.now ?? Date.now;
  const keepAliveMs = options.keepAliveMs ?? 15_000;

  const serviceAction = async (
    name: string,
    action: string,
    request: Request,
  ): Promise<Response> => {
    switch (action) {
      case "start":
        controller.start(name);
        return json({ service: name, action }, 202);
      case "stop":
        await controller.stop(name);
        return json({ service: name, action });
      case "restart":
        await controller.restart(name);
        return json({ service: name, action });
      case "scale": {
        const { replicas } = await body(request);
        if (typeof replicas !== "number") throw new UsageError("replicas: a number is required");
        await controller.scale(name, replicas);
        return json({ service: name, action, replicas });
      }
      case "send": {
        const { text } = await body(request);
        if (typeof text !== "string") throw new UsageError("text: a string is required");
        const delivered = await controller.send(name, text);
        return json({ service: name, action, delivered });
      }
      default:
        return fail("not_found", `no action "${action}" (start, stop, restart, scale, send)`);
    }
  };

  /** A 404 for the first name that is not a service, or undefined when all are. */
  const unknown = (names: readonly string[]): Response | undefined => {
    if (names.length === 0) return undefined;
    const known = new Set(controller.services().map((s) => s.name));
    const name = names.find((n) => !known.has(n));
    return name === undefined ? undefined : fail("not_found", `no service named "${name}"`);
  };

  const route = async (request: Request, url: URL, access: Access): Promise<Response> => {
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const method = request.method;
    const read = method === "GET" || method === "HEAD";
    if (!read && access !== "admin") {
      return fail("forbidden", "this token is read-only; it cannot change anything");
    }
    const only = (m: string) =>
      method !== m ? fail("method_not_allowed", `use ${m} ${path}`) : undefined;

    if (path === "/v1/health") return only("GET") ?? json({ status: "ok", ...controller.info() });
    if (path === "/v1/openapi.json") return only("GET") ?? json(OPENAPI);
    if (path === "/metrics" || path === "/v1/metrics") {
      return only("GET") ?? new Response(
        renderMetrics(controller.info(), controller.status({ usage: true }), now()),
        { headers: { "content-type": "text/plain; version=0.0.4" } },
      );
    }
    if (path === "/v1/status") {
      const usage = url.searchParams.get("usage") !== "false";
      const instances = controller.status({ usage });
      return only("GET") ?? json({
        ...controller.info(),
        now: now(),
        services: summarize(instances),
        instances,
      });
    }
    if (path === "/v1/services") return only("GET") ?? json({ services: controller.services() });
    const service = /^\/v1\/services\/([^/]+)(?:\/([a-z]+))?$/.exec(path);
    if (service) {
      const name = decodeURIComponent(service[1]);
      if (!service[2]) {
        const missing = unknown([name]);
        if (missing) return missing;
        const instances = controller.status({ usage: true }).filter((i) => i.service === name);
        return only("GET") ?? json({ service: summarize(instances)[0] ?? null, instances });
      }
      return only("POST") ?? await serviceAction(name, service[2], request);
    }
    if (path === "/v1/logs") {
      const bad = only("GET");
      if (bad) return bad;
      const { query, tail } = logQuery(url, now());
      const follow = ["1", "true", "yes"].includes(url.searchParams.get("follow") ?? "");
      const missing = unknown(query.services ?? []);
      if (missing) return missing;
      if (!follow) {
        const records = await controller.logs(query, tail);
        return new Response(records.map((r) => toNdjson(r) + "\n").join(""), {
          headers: { "content-type": "application/x-ndjson" },
        });
      }
      // Subscribe first, then send what is kept, so that nothing falls between the two.
      const live = controller.followLogs(query);
      const past = await controller.logs(query, tail);
      const last = past.at(-1)?.seq ?? 0;
      const fresh = (async function* () {
        for await (const record of live) {
          if (record.seq > last || record.stream === "orch") yield record;
        }
      })();
      return stream(
        Object.assign(fresh, { close: () => live.close() }),
        past.map((r) => toNdjson(r) + "\n"),
        (r) => toNdjson(r) + "\n",
        "application/x-ndjson",
      );
    }
    if (path === "/v1/events") {
      return only("GET") ?? stream(
        controller.events(),
        [": orch events\n\n"],
        (e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`,
        "text/event-stream",
        { ms: keepAliveMs, text: ": keep-alive\n\n" },
      );
    }
    if (path === "/v1/apply") {
      const bad = only("POST");
      if (bad) return bad;
      const input = await body(request);
      const files = input.files;
      if (
        files !== undefined && (!Array.isArray(files) || files.some((f) => typeof f !== "string"))
      ) {
        throw new UsageError("files: a list of paths is expected");
      }
      if (input.dryRun === true) return json({ plan: await controller.plan(files as string[]) });
      return json(await controller.apply(files as string[] | undefined));
    }
    if (path === "/v1/shutdown") {
      const bad = only("POST");
      if (bad) return bad;
      const { timeout } = await body(request);
      let ms: number | undefined;
      if (timeout !== undefined) {
        ms = parseDuration(timeout as string | number);
        if (ms === undefined) throw new UsageError(`timeout: "${timeout}" is not a duration`);
      }
      controller.shutdown(ms);
      return json({ stopping: true }, 202);
    }
    return fail("not_found", `no route ${method} ${path}; see GET /v1/openapi.json`);
  };

  return async (request: Request): Promise<Response> => {
    const access = accessOf(request, options.tokens);
    if (!access) {
      return new Response(
        JSON.stringify({
          error: { kind: "unauthorized", message: "a valid bearer token is required" },
        }) + "\n",
        {
          status: 401,
          headers: {
            "content-type": "application/json",
            "www-authenticate": 'Bearer realm="orch"',
          },
        },
      );
    }
    try {
      return await route(request, new URL(request.url), access);
    } catch (error) {
      return fromError(error);
    }
  };
}
