/**
 * Petit's API on the same server, as its clients call it: `/api/health`, `/api/scheduler/state`,
 * `pause`, `resume`, `/api/jobs` (a job is a flow, its id the flow's name), one job, its trigger
 * and its runs, `/api/runs/{id}` and its tasks. Answers are snake_case JSON as Petit's are: times
 * as RFC 3339 strings (null when not yet), durations in milliseconds, lists as bare arrays, and
 * statuses in Petit's words (`pending`, `running`, `completed`, `failed`, `cancelled`, ...).
 *
 * @module
 */
import type { FlowSummary, SchedulerState } from "../control/mod.ts";
import type { RunRecord, RunStatus, TaskRunRecord, TaskState } from "../domain/mod.ts";
import { runId } from "./flow_routes.ts";
import { BODY_LIMITS, readJson } from "./input.ts";
import { json } from "./respond.ts";
import type { Route } from "./router.ts";
import type { Handler } from "./route_context.ts";

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
const took = (start: number | undefined, end: number | undefined) =>
  start !== undefined && end !== undefined ? Math.max(0, end - start) : null;

/** A run status in Petit's words. */
const RUN_WORDS: Record<RunStatus, string> = {
  queued: "pending",
  running: "running",
  interrupted: "interrupted",
  succeeded: "completed",
  failed: "failed",
  cancelled: "cancelled",
  skipped: "skipped",
};

/** A task state in Petit's words. */
const TASK_WORDS: Record<TaskState, string> = {
  pending: "pending",
  waiting: "pending",
  running: "running",
  retrying: "retrying",
  succeeded: "completed",
  failed: "failed",
  skipped: "skipped",
  cancelled: "cancelled",
  interrupted: "interrupted",
};

/** A run as Petit shows it. */
export function petitRun(run: RunRecord): Record<string, unknown> {
  return {
    id: run.id,
    job_id: run.flow,
    status: RUN_WORDS[run.status],
    trigger: run.trigger.kind,
    queued_at: iso(run.queuedAt),
    started_at: iso(run.startedAt),
    completed_at: iso(run.endedAt),
    duration_ms: took(run.startedAt, run.endedAt),
    error: run.reason ?? (run.failures.length ? run.failures.map((f) => f.task).join(", ") : null),
  };
}

/** A task's latest attempt as Petit shows it. */
export function petitTask(attempts: readonly TaskRunRecord[]): Record<string, unknown> {
  const t = attempts[attempts.length - 1];
  return {
    task_id: t.task,
    status: TASK_WORDS[t.state],
    attempts: t.attempt,
    started_at: iso(t.startedAt),
    completed_at: iso(t.endedAt),
    duration_ms: took(t.startedAt, t.endedAt),
    exit_code: t.exit?.code ?? null,
    error: t.error ?? null,
    outputs: t.outputs,
  };
}

/** A job (a flow) as Petit lists it. */
export function petitJob(flow: FlowSummary): Record<string, unknown> {
  return {
    id: flow.name,
    name: flow.name,
    description: flow.description ?? null,
    schedule: flow.schedules[0] ?? null,
    schedules: flow.schedules,
    enabled: !flow.paused,
    paused: flow.paused,
    next_run: iso(flow.nextRuns[0]),
    last_run: flow.lastRun ? petitRun(flow.lastRun) : null,
    running_runs: flow.running.length,
  };
}

/** The scheduler's state as Petit's `/api/scheduler/state`. */
export function petitState(state: SchedulerState): Record<string, unknown> {
  return {
    state: state.paused ? "paused" : "running",
    paused: state.paused,
    paused_jobs: state.pausedFlows,
    jobs_count: state.flows,
    active_runs: state.running,
    queued_runs: state.queued,
    max_executors: state.executors.max,
    busy_executors: state.executors.busy,
  };
}

/** The tasks of a run, one entry per task (its latest attempt), in the flow's order. */
function tasksOf(order: readonly string[], rows: readonly TaskRunRecord[]) {
  const byTask = new Map<string, TaskRunRecord[]>();
  for (const row of rows) byTask.set(row.task, [...(byTask.get(row.task) ?? []), row]);
  const names = [...new Set([...order, ...byTask.keys()])];
  return names.filter((t) => byTask.has(t)).map((t) => petitTask(byTask.get(t)!));
}

/** Petit's routes. */
export const PETIT_ROUTES: readonly Route<Handler>[] = [
  {
    method: "GET",
    path: "/api/health",
    handle: async ({ control }) =>
      json({ status: "healthy", version: (await control.info()).version }),
  },
  {
    method: "GET",
    path: "/api/scheduler/state",
    handle: async ({ control }) => json(petitState(await control.flows.scheduler())),
  },
  ...(["pause", "resume"] as const).map((action): Route<Handler> => ({
    method: "POST",
    path: `/api/scheduler/${action}`,
    handle: async (ctx) => {
      await readJson(ctx.request, BODY_LIMITS.json, []);
      return json(petitState(await ctx.control.flows[action]()));
    },
  })),
  {
    method: "GET",
    path: "/api/jobs",
    handle: async ({ control }) => json((await control.flows.list()).map(petitJob)),
  },
  {
    method: "GET",
    path: "/api/jobs/{id}",
    handle: async ({ control, params }) => {
      const flow = await control.flows.get(params.id);
      return json({
        ...petitJob(flow),
        tasks: flow.tasks.map((t) => ({
          id: t.name,
          depends_on: t.upstream.map((u) => u.task),
        })),
      });
    },
  },
  {
    method: "POST",
    path: "/api/jobs/{id}/trigger",
    handle: async (ctx) => {
      const input = await readJson(ctx.request, BODY_LIMITS.json, ["payload", "config"]);
      const payload = input.payload ?? input.config;
      const { run } = await ctx.control.flows.trigger(
        ctx.params.id,
        payload === undefined ? {} : { payload },
      );
      return json({ run_id: run.id, job_id: run.flow, status: RUN_WORDS[run.status] }, 202);
    },
  },
  {
    method: "GET",
    path: "/api/jobs/{id}/runs",
    handle: async ({ control, params, url }) => {
      const limit = Number(url.searchParams.get("limit") ?? 50);
      const page = await control.flows.runs({
        flow: params.id,
        limit: Number.isInteger(limit) && limit >= 1 && limit <= 1000 ? limit : 50,
      });
      return json(page.runs.map(petitRun));
    },
  },
  {
    method: "GET",
    path: "/api/runs/{id}",
    handle: async ({ control, params }) => {
      const { run, tasks, graph } = await control.flows.run(runId(params.id));
      return json({ ...petitRun(run), tasks: tasksOf(graph.map((t) => t.name), tasks) });
    },
  },
  {
    method: "GET",
    path: "/api/runs/{id}/tasks",
    handle: async ({ control, params }) => {
      const { tasks, graph } = await control.flows.run(runId(params.id));
      return json(tasksOf(graph.map((t) => t.name), tasks));
    },
  },
];
