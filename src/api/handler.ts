/**
 * The control API as a plain `Request -> Response` function: routing, authorization, JSON, NDJSON
 * log streams and server-sent events. It knows nothing of sockets; the CLI serves it on a unix socket
 * and, optionally, on TCP with tokens.
 *
 * @module
 */
import { NotFoundError, UsageError } from "../domain/errors.ts";
import { type LogRecord, toNdjson } from "../domain/log.ts";
import { summarize } from "../domain/status.ts";
import type { Controller } from "./controller.ts";
import {
  APPLY_FIELDS,
  applySource,
  BODY_LIMITS,
  duration,
  flag,
  logQuery,
  readJson,
  segment,
  text,
  whole,
  yes,
} from "./input.ts";
import { renderMetrics } from "./metrics.ts";
import { OPENAPI } from "./openapi.ts";
import { concat, fail, fromError, json, rendered, streamedBytes } from "./respond.ts";

export { parseSince } from "./input.ts";
export type { ErrorKind } from "./respond.ts";

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
  /** Gets errors that are bugs (answered with a generic 500), for orch's own log. */
  readonly onInternalError?: (error: unknown) => void;
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

const UNAUTHORIZED = JSON.stringify({
  error: { kind: "unauthorized", message: "a valid bearer token is required" },
}) + "\n";

/** Builds the handler for one running stack. */
export function createHandler(
  controller: Controller,
  options: HandlerOptions = {},
): (request: Request) => Promise<Response> {
  const now = options.now ?? Date.now;
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const report = options.onInternalError ?? (() => {});
  const read = (request: Request, fields: readonly string[], limit: number = BODY_LIMITS.json) =>
    readJson(request, limit, fields);

  const serviceAction = async (
    name: string,
    action: string,
    request: Request,
  ): Promise<Response> => {
    switch (action) {
      case "start":
      case "stop":
      case "restart": {
        await read(request, []);
        if (action === "start") controller.start(name);
        else await controller[action](name);
        return json({ service: name, action }, action === "start" ? 202 : 200);
      }
      case "scale": {
        const body = await read(request, ["replicas"]);
        const replicas = whole(body.replicas, "replicas");
        await controller.scale(name, replicas);
        return json({ service: name, action, replicas });
      }
      case "send": {
        const body = await read(request, ["text"]);
        const delivered = await controller.send(name, text(body.text, "text"));
        return json({ service: name, action, delivered });
      }
      default:
        return fail("not_found", `no action "${action}" (start, stop, restart, scale, send)`);
    }
  };

  /** Throws a 404 for the first name that is not a service. */
  const known = (names: readonly string[]): void => {
    if (names.length === 0) return;
    const services = new Set(controller.services().map((s) => s.name));
    const name = names.find((n) => !services.has(n));
    if (name !== undefined) throw new NotFoundError(`no service named "${name}"`);
  };

  const logs = (url: URL): Response => {
    const { query, tail } = logQuery(url, now());
    known(query.services ?? []);
    const contentType = "application/x-ndjson";
    if (!yes(url, "follow", false)) {
      const past = controller.logs(query, tail);
      return streamedBytes(past, () => past.close(), { contentType });
    }
    // Subscribe first, then capture what is kept, so that nothing falls between the two.
    const live = controller.followLogs(query);
    const past = controller.logs(query, tail);
    const fresh = rendered(live.batches(), (r: LogRecord) => toNdjson(r) + "\n");
    return streamedBytes(concat(past, fresh), () => {
      past.close();
      live.close();
    }, { contentType });
  };

  const route = async (request: Request, url: URL, access: Access): Promise<Response> => {
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const method = request.method;
    const reading = method === "GET" || method === "HEAD";
    if (!reading && access !== "admin") {
      return fail("forbidden", "this token is read-only; it cannot change anything");
    }
    const only = (m: string) =>
      method !== m && !(m === "GET" && method === "HEAD")
        ? fail("method_not_allowed", `use ${m} ${path}`)
        : undefined;

    if (path === "/v1/health") return only("GET") ?? json({ status: "ok", ...controller.info() });
    if (path === "/v1/openapi.json") return only("GET") ?? json(OPENAPI);
    if (path === "/metrics" || path === "/v1/metrics") {
      return only("GET") ?? new Response(
        renderMetrics(controller.info(), controller.status({ usage: true }), now()),
        { headers: { "content-type": "text/plain; version=0.0.4" } },
      );
    }
    if (path === "/v1/status") {
      const bad = only("GET");
      if (bad) return bad;
      const instances = controller.status({ usage: yes(url, "usage", true) });
      return json({
        ...controller.info(),
        now: now(),
        services: summarize(instances),
        instances,
      });
    }
    if (path === "/v1/services") return only("GET") ?? json({ services: controller.services() });
    const service = /^\/v1\/services\/([^/]+)(?:\/([a-z]+))?$/.exec(path);
    if (service) {
      const name = segment(service[1], "service");
      known([name]);
      if (!service[2]) {
        const instances = controller.status({ usage: true }).filter((i) => i.service === name);
        return only("GET") ?? json({ service: summarize(instances)[0] ?? null, instances });
      }
      return only("POST") ?? await serviceAction(name, service[2], request);
    }
    if (path === "/v1/logs") return only("GET") ?? logs(url);
    if (path === "/v1/events") {
      const bad = only("GET");
      if (bad) return bad;
      const events = controller.events();
      const sse = rendered(
        events.batches(),
        (e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`,
      );
      return streamedBytes(sse, () => events.close(), {
        first: ": orch events\n\n",
        contentType: "text/event-stream",
        keepAlive: { ms: keepAliveMs, text: ": keep-alive\n\n" },
      });
    }
    if (path === "/v1/apply") {
      const bad = only("POST");
      if (bad) return bad;
      const input = await read(request, APPLY_FIELDS, BODY_LIMITS.apply);
      const source = applySource(input);
      if (flag(input.dryRun, "dryRun")) return json({ plan: await controller.plan(source) });
      return json(await controller.apply(source));
    }
    if (path === "/v1/shutdown") {
      const bad = only("POST");
      if (bad) return bad;
      const input = await read(request, ["timeout"]);
      controller.shutdown(duration(input.timeout, "timeout"));
      return json({ stopping: true }, 202);
    }
    return fail("not_found", `no route ${method} ${path}; see GET /v1/openapi.json`);
  };

  return async (request: Request): Promise<Response> => {
    const access = accessOf(request, options.tokens);
    if (!access) {
      await request.body?.cancel().catch(() => {});
      return new Response(UNAUTHORIZED, {
        status: 401,
        headers: {
          "content-type": "application/json",
          "www-authenticate": 'Bearer realm="orch"',
        },
      });
    }
    try {
      let url: URL;
      try {
        url = new URL(request.url);
      } catch {
        throw new UsageError("the request URL is malformed");
      }
      return await route(request, url, access);
    } catch (error) {
      return fromError(error, report);
    }
  };
}
