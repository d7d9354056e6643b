/**
 * The dashboard's view of flows, runs and tasks, read from the flows routes of the API (`GET
 * /v1/flows`, `/v1/flows/NAME`, `/v1/runs`, `/v1/runs/ID`, `/v1/scheduler`). The answers are checked
 * here, field by field, into the shapes the views draw; times may be milliseconds or ISO strings.
 * A value of the wrong type is left out rather than shown wrong. Pure.
 *
 * @module
 */
import { RUN_STATUSES, type RunStatus, TASK_STATES, type TaskState } from "../domain/mod.ts";
import type { GraphNode } from "./layout.ts";

/** A flow as the list shows it. */
export interface FlowRow {
  readonly name: string;
  readonly description?: string;
  /** Cron expressions or intervals, as written. */
  readonly schedules: readonly string[];
  readonly events: readonly string[];
  /** The next fire times, ms since the epoch, soonest first. */
  readonly nextRuns: readonly number[];
  readonly paused: boolean;
  readonly lastRun?: RunRow;
}

/** A run as a list shows it. */
export interface RunRow {
  readonly id: number;
  readonly flow: string;
  readonly status: RunStatus;
  readonly trigger: string;
  readonly queuedAt?: number;
  readonly startedAt?: number;
  readonly endedAt?: number;
  readonly reason?: string;
}

/** One attempt of a task. */
export interface Attempt {
  readonly task: string;
  readonly attempt: number;
  readonly state: TaskState;
  readonly startedAt?: number;
  readonly endedAt?: number;
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  readonly error?: string;
  readonly outputs: Readonly<Record<string, string>>;
  readonly waitingFor?: string;
  readonly retryAt?: number;
}

/** A task of a run: its attempts, the latest last. */
export interface TaskRow {
  readonly task: string;
  readonly attempts: readonly Attempt[];
  readonly latest: Attempt;
}

/** A run with its tasks, and the edges between them when the API gives them. */
export interface RunDetail {
  readonly run: RunRow;
  readonly payload: unknown;
  readonly tasks: readonly TaskRow[];
  readonly graph: readonly GraphNode[];
}

/** The scheduler: paused as a whole, or some flows. */
export interface SchedulerState {
  readonly paused: boolean;
  readonly pausedFlows: readonly string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A time as ms since the epoch, from a number or an ISO string. */
export function toMs(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string") {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** The items of `{key: [...]}`, or of a bare list. */
function items(body: unknown, key: string): unknown[] {
  return Array.isArray(body) ? body : isObj(body) ? list(body[key]) : [];
}

function runStatus(v: unknown): RunStatus | undefined {
  return (RUN_STATUSES as readonly unknown[]).includes(v) ? v as RunStatus : undefined;
}

function taskState(v: unknown): TaskState | undefined {
  return (TASK_STATES as readonly unknown[]).includes(v) ? v as TaskState : undefined;
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** A run, or undefined when it has no id, flow or known status. */
export function parseRun(value: unknown): RunRow | undefined {
  if (!isObj(value)) return undefined;
  const id = typeof value.id === "number" ? value.id : Number(value.id);
  const flow = str(value.flow);
  const status = runStatus(value.status);
  if (!Number.isInteger(id) || flow === undefined || status === undefined) return undefined;
  const trigger = isObj(value.trigger)
    ? [str(value.trigger.kind), str(value.trigger.detail)].filter(Boolean).join(": ")
    : str(value.trigger) ?? "";
  return {
    id,
    flow,
    status,
    trigger,
    ...opt("queuedAt", toMs(value.queuedAt)),
    ...opt("startedAt", toMs(value.startedAt)),
    ...opt("endedAt", toMs(value.endedAt)),
    ...opt("reason", str(value.reason)),
  };
}

/** The runs of `GET /v1/runs`. */
export function parseRuns(body: unknown): RunRow[] {
  return items(body, "runs").flatMap((r) => parseRun(r) ?? []);
}

/** The flows of `GET /v1/flows`. */
export function parseFlows(body: unknown): FlowRow[] {
  return items(body, "flows").flatMap((value): FlowRow[] => {
    if (!isObj(value) || typeof value.name !== "string") return [];
    const schedules = list(value.schedules).flatMap((s) =>
      typeof s === "string" ? [s] : isObj(s) && typeof s.expr === "string" ? [s.expr] : []
    );
    const next = list(value.nextRuns ?? value.next ?? value.nextFireTimes)
      .flatMap((t) => toMs(t) ?? []).sort((a, b) => a - b);
    const last = parseRun(value.lastRun);
    return [{
      name: value.name,
      ...opt("description", str(value.description)),
      schedules,
      events: list(value.events).flatMap((e) => (typeof e === "string" ? [e] : [])),
      nextRuns: next,
      paused: value.paused === true,
      ...opt("lastRun", last),
    }];
  });
}

function parseAttempt(value: unknown): Attempt | undefined {
  if (!isObj(value)) return undefined;
  const task = str(value.task) ?? str(value.name);
  const state = taskState(value.state);
  if (task === undefined || state === undefined) return undefined;
  const exit = isObj(value.exit) ? value.exit : undefined;
  const outputs: Record<string, string> = Object.create(null);
  if (isObj(value.outputs)) {
    for (const [k, v] of Object.entries(value.outputs)) if (typeof v === "string") outputs[k] = v;
  }
  const exitCode = typeof exit?.code === "number" || exit?.code === null
    ? exit.code as number | null
    : typeof value.exitCode === "number"
    ? value.exitCode
    : undefined;
  return {
    task,
    attempt: typeof value.attempt === "number" ? value.attempt : 1,
    state,
    ...opt("startedAt", toMs(value.startedAt)),
    ...opt("endedAt", toMs(value.endedAt)),
    ...opt("exitCode", exitCode),
    ...opt("signal", typeof exit?.signal === "string" ? exit.signal : undefined),
    ...opt("error", str(value.error)),
    outputs,
    ...opt("waitingFor", str(value.waitingFor)),
    ...opt("retryAt", toMs(value.retryAt)),
  };
}

/**
 * The tasks of a run, each with its attempts in order: from a list of attempts (`tasks`, one
 * entry per attempt) or of tasks that carry their `attempts`.
 */
export function groupAttempts(values: readonly unknown[]): TaskRow[] {
  const byTask = new Map<string, Attempt[]>();
  for (const value of values) {
    const nested = isObj(value) && Array.isArray(value.attempts) ? value.attempts : [value];
    for (const raw of nested) {
      const withName = isObj(raw) && isObj(value) && raw.task === undefined
        ? { ...raw, task: value.task ?? value.name }
        : raw;
      const attempt = parseAttempt(withName);
      if (!attempt) continue;
      const attempts = byTask.get(attempt.task) ?? [];
      attempts.push(attempt);
      byTask.set(attempt.task, attempts);
    }
  }
  return [...byTask].map(([task, attempts]) => {
    attempts.sort((a, b) => a.attempt - b.attempt);
    return { task, attempts, latest: attempts[attempts.length - 1] };
  });
}

/**
 * The task graph of a flow: from `tasks` given as a list or a record of `{name, upstream: [{task,
 * on}]}` (or `dependsOn`). Each edge is labelled with the outcome it follows.
 */
export function taskGraph(tasks: unknown): GraphNode[] {
  const entries = Array.isArray(tasks)
    ? tasks
    : isObj(tasks)
    ? Object.entries(tasks).map(([name, t]) => (isObj(t) ? { name, ...t } : { name }))
    : [];
  return entries.flatMap((t): GraphNode[] => {
    if (!isObj(t)) return [];
    const id = str(t.name) ?? str(t.task);
    if (id === undefined) return [];
    const upstream = list(t.upstream ?? t.dependsOn).flatMap((u) =>
      typeof u === "string"
        ? [{ target: u, label: "success" }]
        : isObj(u) && typeof u.task === "string"
        ? [{ target: u.task, label: str(u.on) ?? "success" }]
        : []
    );
    return [{ id, deps: upstream }];
  });
}

/** `GET /v1/runs/ID`: the run, its tasks and, when given, its graph. */
export function parseRunDetail(body: unknown): RunDetail | undefined {
  if (!isObj(body)) return undefined;
  const source = isObj(body.run) ? body.run : body;
  const run = parseRun(source);
  if (!run) return undefined;
  const tasks = groupAttempts(list(body.tasks ?? source.tasks));
  const declared = taskGraph(body.graph ?? (isObj(body.flow) ? body.flow.tasks : undefined));
  const known = new Set(declared.map((n) => n.id));
  // Tasks the graph does not name still get a box.
  const graph = [
    ...declared,
    ...tasks.filter((t) => !known.has(t.task)).map((t) => ({ id: t.task, deps: [] })),
  ];
  return { run, payload: source.payload ?? {}, tasks, graph };
}

/** `GET /v1/scheduler`. */
export function parseScheduler(body: unknown): SchedulerState {
  if (!isObj(body)) return { paused: false, pausedFlows: [] };
  const state = isObj(body.scheduler) ? body.scheduler : body;
  return {
    paused: state.paused === true || state.state === "paused",
    pausedFlows: list(state.pausedFlows).flatMap((f) => (typeof f === "string" ? [f] : [])),
  };
}

/** How long a run or an attempt took, or has been running: ms, or undefined before it started. */
export function elapsed(
  item: { readonly startedAt?: number; readonly endedAt?: number },
  now: number,
): number | undefined {
  if (item.startedAt === undefined) return undefined;
  return Math.max(0, (item.endedAt ?? now) - item.startedAt);
}
