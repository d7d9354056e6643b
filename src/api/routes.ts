/**
 * The control API's routes: one table of `method path -> handler` over the control interface.
 * The OpenAPI document (`openapi.ts`) describes exactly these (a test holds them to it); the
 * generic parts (404, 405, authorization, errors) are in `router.ts` and `handler.ts`.
 *
 * @module
 */
import {
  APPLY_FIELDS,
  applySource,
  BODY_LIMITS,
  duration,
  flag,
  logQuery,
  readJson,
  text,
  whole,
  yes,
} from "./input.ts";
import { EXEC_ROUTE } from "./exec_route.ts";
import { FLOW_ROUTES } from "./flow_routes.ts";
import { renderFlowMetrics } from "./flow_metrics.ts";
import { renderMetrics } from "./metrics.ts";
import { PETIT_ROUTES } from "./petit_routes.ts";
import { json, rendered, streamedBytes } from "./respond.ts";
import { normalPath, type Route, Router } from "./router.ts";
import type { Handler, RouteContext } from "./route_context.ts";

export type { Handler, RouteContext };

/** The body of a request to a route: a JSON object with only `fields`. */
function body(ctx: RouteContext, fields: readonly string[], limit: number = BODY_LIMITS.json) {
  return readJson(ctx.request, limit, fields);
}

/** `POST /v1/services/{name}/ACTION` for start, stop and restart: no fields. */
function plainAction(action: "start" | "stop" | "restart"): Route<Handler> {
  return {
    method: "POST",
    path: `/v1/services/{name}/${action}`,
    handle: async (ctx) => {
      await body(ctx, []);
      const service = ctx.params.name;
      await ctx.control[action](service);
      return json({ service, action }, action === "start" ? 202 : 200);
    },
  };
}

/** Every route of the control API. */
export const ROUTES: readonly Route<Handler>[] = [
  {
    method: "GET",
    path: "/v1/health",
    handle: async ({ control }) => json({ status: "ok", ...await control.info() }),
  },
  // The description (a large literal) loads with its first request.
  {
    method: "GET",
    path: "/v1/openapi.json",
    handle: async () => json((await import("./openapi.ts")).OPENAPI),
  },
  ...["/metrics", "/v1/metrics"].map((path): Route<Handler> => ({
    method: "GET",
    path,
    handle: async ({ control, now, counters }) => {
      const status = await control.status({ usage: true });
      const flows = await control.flows.scheduler().catch(() => undefined);
      const text = renderMetrics(status, status.instances, now(), counters) +
        (flows ? renderFlowMetrics(status.stack, flows, counters) : "");
      return new Response(text, {
        headers: { "content-type": "text/plain; version=0.0.4" },
      });
    },
  })),
  {
    method: "GET",
    path: "/v1/status",
    handle: async ({ control, url }) =>
      json(await control.status({ usage: yes(url, "usage", true) })),
  },
  {
    method: "GET",
    path: "/v1/services",
    handle: async ({ control }) => json({ services: await control.services() }),
  },
  {
    method: "GET",
    path: "/v1/services/{name}",
    handle: async ({ control, params }) => json(await control.service(params.name)),
  },
  plainAction("start"),
  plainAction("stop"),
  plainAction("restart"),
  {
    method: "POST",
    path: "/v1/services/{name}/scale",
    handle: async (ctx) => {
      const input = await body(ctx, ["replicas"]);
      const replicas = whole(input.replicas, "replicas");
      await ctx.control.scale(ctx.params.name, replicas);
      return json({ service: ctx.params.name, action: "scale", replicas });
    },
  },
  {
    method: "POST",
    path: "/v1/services/{name}/send",
    handle: async (ctx) => {
      const input = await body(ctx, ["text"]);
      const delivered = await ctx.control.send(ctx.params.name, text(input.text, "text"));
      return json({ service: ctx.params.name, action: "send", delivered });
    },
  },
  {
    method: "GET",
    path: "/v1/logs",
    handle: async ({ control, url, now }) => {
      const { query, tail } = logQuery(url, now());
      const follow = yes(url, "follow", false);
      const logs = await control.logs(query, { tail, follow, reader: "api" });
      return streamedBytes(logs.ndjson(), () => logs.close(), {
        contentType: "application/x-ndjson",
      });
    },
  },
  {
    method: "GET",
    path: "/v1/events",
    handle: async ({ control, keepAliveMs }) => {
      const events = await control.events();
      const sse = rendered(
        events.batches(),
        (e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`,
      );
      return streamedBytes(sse, () => events.close(), {
        first: ": orch events\n\n",
        contentType: "text/event-stream",
        keepAlive: { ms: keepAliveMs, text: ": keep-alive\n\n" },
      });
    },
  },
  {
    method: "POST",
    path: "/v1/apply",
    bodyLimit: BODY_LIMITS.apply,
    handle: async (ctx) => {
      const input = await body(ctx, APPLY_FIELDS, BODY_LIMITS.apply);
      const source = applySource(input);
      if (flag(input.dryRun, "dryRun")) return json({ plan: await ctx.control.plan(source) });
      return json(await ctx.control.apply(source));
    },
  },
  {
    method: "POST",
    path: "/v1/shutdown",
    handle: async (ctx) => {
      const input = await body(ctx, ["timeout"]);
      await ctx.control.shutdown({ timeoutMs: duration(input.timeout, "timeout") });
      return json({ stopping: true }, 202);
    },
  },
  ...FLOW_ROUTES,
  EXEC_ROUTE,
  ...PETIT_ROUTES,
];

/** The router over {@link ROUTES}. */
export const ROUTER: Router<Handler> = new Router(ROUTES);

/** The body limit of a request (its route's, else the limit of every other route). */
export function bodyLimit(method: string, path: string): number {
  try {
    const matched = ROUTER.match(method, normalPath(path));
    if (matched.found === "route") return matched.route.bodyLimit ?? BODY_LIMITS.json;
  } catch {
    // a malformed path: the handler answers 400 without reading the body
  }
  return BODY_LIMITS.json;
}
