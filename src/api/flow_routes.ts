/**
 * The flows' routes under `/v1`: flows with their graphs, triggers, runs with their tasks and
 * logs, cancel and retry, events, and the scheduler's state, pause and resume. Over the control
 * interface's `flows`, like every other route.
 *
 * @module
 */
import { type RunsQuery, sinceOf, type TriggerInput } from "../control/mod.ts";
import { NotFoundError, RUN_STATUSES, type RunStatus, UsageError } from "../domain/mod.ts";
import { BODY_LIMITS, flag, logQuery, readJson, text, yes } from "./input.ts";
import { json, streamedBytes } from "./respond.ts";
import type { Route } from "./router.ts";
import type { Handler, RouteContext } from "./route_context.ts";

/** A run id from a path or a query: a positive whole number. */
export function runId(raw: string, field = "id"): number {
  if (!/^[1-9]\d{0,15}$/.test(raw)) {
    throw new UsageError(`${field}: "${raw.slice(0, 40)}" is not a run id (a whole number from 1)`);
  }
  return Number(raw);
}

/** `payload` and `idempotencyKey` of a trigger's body. */
function triggerInput(body: Record<string, unknown>): TriggerInput {
  return {
    ...(body.payload !== undefined ? { payload: body.payload } : {}),
    ...(body.idempotencyKey !== undefined
      ? { idempotencyKey: text(body.idempotencyKey, "idempotencyKey") }
      : {}),
  };
}

const TRIGGER_FIELDS = ["payload", "idempotencyKey"];

/** The runs query of `GET /v1/runs`'s parameters. */
export function runsQuery(url: URL, now: number): RunsQuery {
  const p = url.searchParams;
  const statuses = p.getAll("status").flatMap((s) => s.split(",")).filter(Boolean);
  const bad = statuses.find((s) => !(RUN_STATUSES as readonly string[]).includes(s));
  if (bad !== undefined) {
    throw new UsageError(`status: "${bad.slice(0, 20)}" is not one of ${RUN_STATUSES.join(", ")}`);
  }
  const limitText = p.get("limit");
  if (limitText !== null && (!/^\d{1,4}$/.test(limitText) || +limitText < 1 || +limitText > 1000)) {
    throw new UsageError(`limit: "${limitText.slice(0, 20)}" is not a whole number from 1 to 1000`);
  }
  const flow = p.get("flow");
  const since = p.get("since");
  const until = p.get("until");
  const before = p.get("before");
  return {
    ...(flow ? { flow } : {}),
    ...(statuses.length ? { status: statuses as RunStatus[] } : {}),
    ...(since ? { since: sinceOf(since, now) } : {}),
    ...(until ? { until: sinceOf(until, now) } : {}),
    ...(before ? { before: runId(before, "before") } : {}),
    ...(limitText !== null ? { limit: Number(limitText) } : {}),
  };
}

/** The body of a request: a JSON object with only `fields`. */
function body(ctx: RouteContext, fields: readonly string[]) {
  return readJson(ctx.request, BODY_LIMITS.json, fields);
}

/** `POST /v1/scheduler/ACTION` and `POST /v1/flows/{name}/ACTION`. */
function pauseRoutes(action: "pause" | "resume"): Route<Handler>[] {
  return [
    {
      method: "POST",
      path: `/v1/scheduler/${action}`,
      handle: async (ctx) => {
        const input = await body(ctx, ["flow"]);
        const flow = input.flow === undefined ? undefined : text(input.flow, "flow");
        return json(await ctx.control.flows[action](flow));
      },
    },
    {
      method: "POST",
      path: `/v1/flows/{name}/${action}`,
      handle: async (ctx) => {
        await body(ctx, []);
        return json(await ctx.control.flows[action](ctx.params.name));
      },
    },
  ];
}

/** The flows' routes. */
export const FLOW_ROUTES: readonly Route<Handler>[] = [
  {
    method: "GET",
    path: "/v1/flows",
    handle: async ({ control }) => json({ flows: await control.flows.list() }),
  },
  {
    method: "GET",
    path: "/v1/flows/{name}",
    handle: async ({ control, params }) => json(await control.flows.get(params.name)),
  },
  {
    method: "POST",
    path: "/v1/flows/{name}/trigger",
    handle: async (ctx) => {
      const input = triggerInput(await body(ctx, TRIGGER_FIELDS));
      const outcome = await ctx.control.flows.trigger(ctx.params.name, input);
      return json(outcome, outcome.created ? 201 : 200);
    },
  },
  ...pauseRoutes("pause"),
  ...pauseRoutes("resume"),
  {
    method: "GET",
    path: "/v1/runs",
    handle: async ({ control, url, now }) => json(await control.flows.runs(runsQuery(url, now()))),
  },
  {
    method: "GET",
    path: "/v1/runs/{id}",
    handle: async ({ control, params }) => json(await control.flows.run(runId(params.id))),
  },
  {
    method: "GET",
    path: "/v1/runs/{id}/tasks/{task}/logs",
    handle: async ({ control, params, url, now }) => {
      const { run, tasks, graph } = await control.flows.run(runId(params.id));
      const names = [...new Set([...graph.map((t) => t.name), ...tasks.map((t) => t.task)])];
      if (!names.includes(params.task)) {
        throw new NotFoundError(
          `run ${run.id} of ${run.flow} has no task ${JSON.stringify(params.task)} ` +
            `(its tasks: ${names.join(", ")})`,
        );
      }
      const { tail } = logQuery(url, now());
      const query = { services: [run.flow], run: run.id, task: params.task };
      const logs = await control.logs(query, {
        tail,
        follow: yes(url, "follow", false),
        reader: "api",
      });
      return streamedBytes(logs.ndjson(), () => logs.close(), {
        contentType: "application/x-ndjson",
      });
    },
  },
  {
    method: "POST",
    path: "/v1/runs/{id}/cancel",
    handle: async (ctx) => {
      await body(ctx, []);
      return json({ run: await ctx.control.flows.cancel(runId(ctx.params.id)) });
    },
  },
  {
    method: "POST",
    path: "/v1/runs/{id}/retry",
    handle: async (ctx) => {
      const input = await body(ctx, ["from", "only"]);
      const from = input.from === undefined ? undefined : text(input.from, "from");
      const only = flag(input.only, "only");
      const outcome = await ctx.control.flows.retry(runId(ctx.params.id), {
        ...(from !== undefined ? { from } : {}),
        only,
      });
      return json(outcome, outcome.created ? 201 : 200);
    },
  },
  {
    method: "POST",
    path: "/v1/events/{name}",
    handle: async (ctx) => {
      const input = triggerInput(await body(ctx, TRIGGER_FIELDS));
      const runs = await ctx.control.flows.publish(ctx.params.name, input);
      return json({ event: ctx.params.name, runs }, 202);
    },
  },
  {
    method: "GET",
    path: "/v1/scheduler",
    handle: async ({ control }) => json(await control.flows.scheduler()),
  },
];
