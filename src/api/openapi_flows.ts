/**
 * The OpenAPI description of the flows' routes (`/v1/flows`, `/v1/runs`, `/v1/events/{name}`,
 * `/v1/exec`, `/v1/scheduler`) and of Petit's (`/api/...`), merged into the document by `openapi.ts`.
 *
 * @module
 */
import { RUN_STATUSES } from "../domain/mod.ts";

const error = { $ref: "#/components/responses/Error" };
const ok = (description: string) => ({ description, content: { "application/json": {} } });
const param = (name: string, description: string, type = "string") => ({
  name,
  in: "path",
  required: true,
  schema: { type },
  description,
});
const query = (name: string, description: string, schema: Record<string, unknown>) => ({
  name,
  in: "query",
  schema,
  description,
});
const flowParam = param("name", "flow name");
const runParam = param("id", "run id", "integer");
const jobParam = param("id", "job id (the flow's name)");

function body(properties: Record<string, unknown>, required?: string[]) {
  return {
    ...(required ? { required: true } : {}),
    content: {
      "application/json": {
        schema: { type: "object", ...(required ? { required } : {}), properties },
      },
    },
  };
}

const triggerBody = body({
  payload: { description: "any JSON; the tasks read it ($ORCH_PAYLOAD_FILE, ${payload.x})" },
  idempotencyKey: {
    type: "string",
    description: "a key used before by a run of the flow answers with that run (200)",
  },
});

const post = (summary: string, extra: Record<string, unknown> = {}) => ({
  post: {
    summary,
    ...extra,
    responses: {
      "200": ok("done"),
      "201": ok("a new run"),
      "202": ok("accepted"),
      "400": error,
      "401": error,
      "403": error,
      "404": error,
      "409": error,
    },
  },
});
const get = (summary: string, parameters: unknown[] = []) => ({
  get: { summary, parameters, responses: { "200": ok(summary), "400": error, "404": error } },
});

const schedulerAction = (what: string) =>
  post(
    `${what} one flow (flow), or the whole scheduler: no trigger but a manual one starts a run`,
    {
      requestBody: body({ flow: { type: "string" } }),
    },
  );

/** The flows' paths and Petit's. */
export const FLOW_PATHS = {
  "/v1/flows": get(
    "the flows: schedules, next fire times (nextRuns), paused, running, lastRun, recent statuses",
  ),
  "/v1/flows/{name}": get("one flow with its task graph (tasks: name, upstream, needs)", [
    flowParam,
  ]),
  "/v1/flows/{name}/trigger": post(
    "a manual run of the flow: {run, created}; 201 for a new run, 200 for a repeated key",
    { parameters: [flowParam], requestBody: triggerBody },
  ),
  "/v1/flows/{name}/pause": post("pause the flow", { parameters: [flowParam] }),
  "/v1/flows/{name}/resume": post("resume the flow", { parameters: [flowParam] }),
  "/v1/runs": get("runs, newest first: {runs, next}; pass next as before for the next page", [
    query("flow", "only this flow's", { type: "string" }),
    query("status", `only these, comma-separated: ${RUN_STATUSES.join(", ")}`, {
      type: "string",
    }),
    query("since", "queued since: a duration back (1h) or an ISO time", { type: "string" }),
    query("until", "queued before: a duration back or an ISO time", { type: "string" }),
    query("before", "runs with a smaller id (the cursor)", { type: "integer" }),
    query("limit", "page size, 1 to 1000 (50)", { type: "integer" }),
  ]),
  "/v1/runs/{id}": get(
    "one run: {run, tasks (every attempt: state, times, exit, outputs, waitingFor), graph}",
    [runParam],
  ),
  "/v1/runs/{id}/tasks/{task}/logs": {
    get: {
      summary: "a task's output in the run (every attempt) as NDJSON log records; follow for more",
      parameters: [
        runParam,
        param("task", "task name"),
        query("tail", "only the last n lines", { type: "integer" }),
        query("follow", "keep the stream open for new lines", { type: "boolean" }),
      ],
      responses: {
        "200": { description: "records", content: { "application/x-ndjson": {} } },
        "400": error,
        "404": error,
      },
    },
  },
  "/v1/runs/{id}/cancel": post("cancel a queued or running run: {run}", {
    parameters: [runParam],
  }),
  "/v1/runs/{id}/retry": post(
    "run an ended run again from a task (only: that task alone): a new run, {run, created}",
    {
      parameters: [runParam],
      requestBody: body({
        from: { type: "string", description: "default: the run's first failed task" },
        only: { type: "boolean" },
      }),
    },
  ),
  "/v1/events/{name}": post(
    "publish an event: every flow listening to it is triggered; {event, runs}",
    { parameters: [param("name", "event name")], requestBody: triggerBody },
  ),
  "/v1/exec": {
    post: {
      summary: "run one command as a run of the ad-hoc flow @exec (orch exec); streams NDJSON: " +
        "{type: run, run}, then {type: output, records} as it writes, then {type: end, run, task}",
      requestBody: body({
        command: {
          type: "array",
          items: { type: "string" },
          description: "the program and its arguments, run as given (no shell, no expansion)",
        },
        env: { type: "object", additionalProperties: { type: "string" } },
        cwd: { type: "string", description: "absolute, or relative to the project's directory" },
        timeout: { type: "string", description: 'a duration ("30s"): then its group is stopped' },
        slots: { type: "object", additionalProperties: { type: "integer" } },
      }, ["command"]),
      responses: {
        "200": { description: "the run's stream", content: { "application/x-ndjson": {} } },
        "400": error,
        "401": error,
        "403": error,
        "404": error,
        "409": error,
      },
    },
  },
  "/v1/scheduler": get(
    "the scheduler: paused, pausedFlows, executors {busy, max}, running, queued, counts, lagMs",
  ),
  "/v1/scheduler/pause": schedulerAction("pause"),
  "/v1/scheduler/resume": schedulerAction("resume"),
  "/api/health": get("Petit: {status: healthy, version}"),
  "/api/scheduler/state": get("Petit: {state: running|paused, jobs_count, active_runs, ...}"),
  "/api/scheduler/pause": post("Petit: pause the scheduler"),
  "/api/scheduler/resume": post("Petit: resume the scheduler"),
  "/api/jobs": get("Petit: the jobs (flows), a bare array"),
  "/api/jobs/{id}": get("Petit: one job with its tasks and depends_on", [jobParam]),
  "/api/jobs/{id}/trigger": post("Petit: trigger the job: {run_id, job_id, status}", {
    parameters: [jobParam],
    requestBody: body({ payload: {}, config: { description: "a synonym of payload" } }),
  }),
  "/api/jobs/{id}/runs": get("Petit: the job's runs, newest first, a bare array", [
    jobParam,
    query("limit", "at most this many (50)", { type: "integer" }),
  ]),
  "/api/runs/{id}": get("Petit: one run with its tasks", [runParam]),
  "/api/runs/{id}/tasks": get("Petit: the run's task states, a bare array", [runParam]),
} as const;
