/**
 * Flows: the frozen model of scheduled and event-triggered job flows (every file form lands here),
 * the states of their runs and tasks, the records the history keeps, and the events the scheduler
 * emits. The loader in `src/config/flows/` produces the model; `src/schedule/` runs it and
 * `src/store/` keeps its history.
 *
 * Durations are milliseconds, times are milliseconds since the epoch, paths are absolute.
 *
 * @module
 */
import type { Command, Resources, RuntimeKind } from "./model.ts";
import type { InstanceState } from "./state.ts";

/** Which outcome of an upstream task an edge follows: `A: B` is success, `A?: B | C` C is failure. */
export type EdgeOn = "success" | "failure" | "done";
/** Every edge kind. */
export const EDGE_ONS: readonly EdgeOn[] = ["success", "failure", "done"];

/**
 * When a task runs once its upstream tasks are settled:
 * - `none_failed` (the default of stack files and Conducktor flows): at least one edge was taken
 *   and no upstream failed without a branch handling it; the join below a conditional branch.
 * - `all_success` (Petit's default): every edge was taken (every upstream succeeded).
 * - `on_failure`: at least one upstream failed.
 * - `all_done`: every upstream ran to an end, succeeded or failed (none was skipped).
 * - `always`: whatever happened upstream.
 */
export type TaskCondition = "none_failed" | "all_success" | "on_failure" | "all_done" | "always";
/** Every condition. */
export const TASK_CONDITIONS: readonly TaskCondition[] = [
  "none_failed",
  "all_success",
  "on_failure",
  "all_done",
  "always",
];

/** An edge of a flow's task graph: this task follows `task` on `on`. */
export interface TaskEdge {
  readonly task: string;
  readonly on: EdgeOn;
}

/** Retries of a failed task attempt. */
export interface RetryPolicy {
  /** Attempts in all, the first included (1: no retry). */
  readonly attempts: number;
  /** Delay before the second attempt. */
  readonly delayMs: number;
  /** Each further delay is the previous one times this. */
  readonly factor: number;
  /** Bound on a delay. */
  readonly maxDelayMs: number;
  /** Retry only on these exit codes; `undefined` retries every failure (timeouts included). */
  readonly onExitCodes: readonly number[] | undefined;
}

/**
 * Where a task attempt runs: `local` (a process or container of orch's machine, through the
 * runtimes the services use) or `swarm` (a `replicated-job` service on the Docker Swarm of
 * `FlowSet.swarmHost`, so that a flow's tasks spread over the swarm's nodes).
 */
export type TaskExecutor = "local" | "swarm";
/** Every executor. */
export const TASK_EXECUTORS: readonly TaskExecutor[] = ["local", "swarm"];

/** One task of a flow, fully defaulted. */
export interface FlowTask {
  /** Unique in its flow; may contain spaces ("First task"). */
  readonly name: string;
  readonly command: Command;
  readonly runtime: RuntimeKind;
  readonly image: string | undefined;
  /** `swarm` needs an image (the checks say so, located). */
  readonly executor: TaskExecutor;
  readonly env: Readonly<Record<string, string>>;
  readonly workdir: string;
  readonly user: string | undefined;
  readonly group: string | undefined;
  /** The whole process group is stopped after this long; `undefined`: no limit. */
  readonly timeoutMs: number | undefined;
  /** How a timed-out or cancelled task is stopped: this signal, then SIGKILL after the grace. */
  readonly stop: { readonly signal: string; readonly timeoutMs: number };
  readonly retry: RetryPolicy;
  /** Services of the stack that must be ready (or completed, for oneshots) before it starts. */
  readonly needs: readonly string[];
  /** Named pool -> slots this task holds while it runs. */
  readonly slots: Readonly<Record<string, number>>;
  readonly upstream: readonly TaskEdge[];
  readonly condition: TaskCondition;
  /** Exit codes that count as success. */
  readonly successCodes: readonly number[];
  /** Limits of each attempt (a cgroup for a process, the engine's for a container). */
  readonly resources: Resources | undefined;
  /** The command runs as given, no `${...}` reference expanded (an `orch exec` command). */
  readonly literal?: boolean;
}

/** A schedule: a cron expression (5 or 6 fields, or `@daily`-style) or a fixed interval. */
export type Schedule =
  | { readonly kind: "cron"; readonly expr: string }
  | { readonly kind: "every"; readonly everyMs: number; readonly expr: string };

/** What to do about schedule times missed while orch was down. */
export interface CatchUp {
  /** `none`: nothing; `latest`: one run for the latest missed time; `all`: one per missed time. */
  readonly mode: "none" | "latest" | "all";
  /** With `all`: only times this recent (`undefined`: every missed time, up to a bound). */
  readonly windowMs: number | undefined;
}

/**
 * What a trigger does while the flow has `maxActiveRuns` runs active: `skip` it (recorded as a
 * skipped run, with the reason), `queue` it, `replace` the oldest active run, or `allow` it (runs
 * start regardless, up to `maxActiveRuns`, which then defaults to no limit).
 */
export type OverlapPolicy = "skip" | "queue" | "allow" | "replace";
/** Every overlap policy. */
export const OVERLAP_POLICIES: readonly OverlapPolicy[] = ["skip", "queue", "allow", "replace"];

/** Another flow whose run's end starts this one. */
export interface FlowChain {
  readonly flow: string;
  readonly on: EdgeOn;
}

/** A service whose change into `state` starts this flow. */
export interface ServiceTrigger {
  readonly service: string;
  readonly state: InstanceState;
}

/** A precondition on another flow checked when this one is triggered (Petit's `depends_on`). */
export interface FlowRequirement {
  readonly flow: string;
  /** `last_success`: its last finished run succeeded; `within_window`: one succeeded lately. */
  readonly condition: "last_success" | "within_window";
  readonly windowMs: number;
}

/** How much history of a flow is kept; both may apply. */
export interface Retention {
  readonly days: number | undefined;
  readonly count: number | undefined;
}

/** One flow, fully defaulted and checked. */
export interface Flow {
  readonly name: string;
  /** The file it was defined in. */
  readonly file: string;
  readonly description: string | undefined;
  readonly schedules: readonly Schedule[];
  /** IANA time zone the schedules are read in; `undefined`: the machine's. */
  readonly timezone: string | undefined;
  /** Event names that start it (`eventTrigger`). */
  readonly events: readonly string[];
  readonly after: readonly FlowChain[];
  readonly onService: readonly ServiceTrigger[];
  readonly requires: readonly FlowRequirement[];
  readonly catchUp: CatchUp;
  readonly overlap: OverlapPolicy;
  readonly maxActiveRuns: number;
  /** Tasks of one run running at once. */
  readonly maxConcurrency: number;
  readonly retention: Retention;
  /** Values for `${config.KEY}`. */
  readonly config: Readonly<Record<string, string>>;
  /** Tasks in declaration order. */
  readonly tasks: Readonly<Record<string, FlowTask>>;
}

/** Every flow of a project, and what they share. */
export interface FlowSet {
  readonly flows: Readonly<Record<string, Flow>>;
  /** Named resource pools and their sizes. */
  readonly pools: Readonly<Record<string, number>>;
  /** Tasks running at once in the whole orch; `undefined`: the number of cores. */
  readonly maxExecutors: number | undefined;
  /** The history database named by a file (Petit's `storage.path`); `--db` wins. */
  readonly db: string | undefined;
  /** The Docker engine of the swarm manager of `executor: swarm` tasks; `--swarm-host` wins. */
  readonly swarmHost?: string;
}

/**
 * The flow of `orch exec`'s ad-hoc runs (one command as a one-task flow): a name no flow file can
 * take, since flow names are letters, digits, `.`, `-` and `_`.
 */
export const EXEC_FLOW = "@exec";
/** The one task of an {@link EXEC_FLOW} run. */
export const EXEC_TASK = "command";

/** An empty flow set. */
export const NO_FLOWS: FlowSet = Object.freeze({
  flows: Object.freeze({}),
  pools: Object.freeze({}),
  maxExecutors: undefined,
  db: undefined,
});

// ---- runs and tasks ------------------------------------------------------------------------

/**
 * A run's status:
 * - `queued`: admitted, waiting for an active run of its flow to end (overlap `queue`).
 * - `running`: its tasks are being run.
 * - `interrupted`: orch stopped (or was killed) while it ran; it resumes at the next start.
 * - `succeeded`, `failed`, `cancelled`: ended.
 * - `skipped`: never ran (overlap `skip`, an unmet requirement); the reason says why.
 */
export type RunStatus =
  | "queued"
  | "running"
  | "interrupted"
  | "succeeded"
  | "failed"
  | "cancelled"
  | "skipped";
/** Every run status. */
export const RUN_STATUSES: readonly RunStatus[] = [
  "queued",
  "running",
  "interrupted",
  "succeeded",
  "failed",
  "cancelled",
  "skipped",
];

/** Whether a run has ended. */
export function isRunEnded(status: RunStatus): boolean {
  return status === "succeeded" || status === "failed" || status === "cancelled" ||
    status === "skipped";
}

/**
 * A task's state in a run:
 * - `pending`: upstream tasks are not settled yet.
 * - `waiting`: may run, waiting for an executor, pool slots, run concurrency or a service.
 * - `running`: its process runs.
 * - `retrying`: an attempt failed; the next starts at `retryAt`.
 * - `succeeded`, `failed`, `skipped` (its condition did not hold), `cancelled`: settled.
 * - `interrupted`: the attempt was under way when orch stopped (a record of an earlier attempt).
 */
export type TaskState =
  | "pending"
  | "waiting"
  | "running"
  | "retrying"
  | "succeeded"
  | "failed"
  | "skipped"
  | "cancelled"
  | "interrupted";
/** Every task state. */
export const TASK_STATES: readonly TaskState[] = [
  "pending",
  "waiting",
  "running",
  "retrying",
  "succeeded",
  "failed",
  "skipped",
  "cancelled",
  "interrupted",
];

/** Whether a task state changes no more in this run. */
export function isTaskSettled(state: TaskState): boolean {
  return state === "succeeded" || state === "failed" || state === "skipped" ||
    state === "cancelled";
}

/** What started a run. */
export type TriggerKind =
  | "schedule"
  | "catchup"
  | "event"
  | "manual"
  | "chain"
  | "service"
  | "retry";

/** What started a run, and the detail (cron expression, event name, upstream run, service). */
export interface RunTrigger {
  readonly kind: TriggerKind;
  readonly detail: string;
}

/** A failed task of a run, and why; `handled` when a branch of the flow handles it. */
export interface TaskFailure {
  readonly task: string;
  readonly error: string;
  readonly handled: boolean;
}

/** One run of a flow, as the history keeps it. */
export interface RunRecord {
  /** Increasing; unique in the history database. */
  readonly id: number;
  readonly flow: string;
  readonly status: RunStatus;
  readonly trigger: RunTrigger;
  /** The JSON payload every task receives (`{}` when none). */
  readonly payload: unknown;
  readonly idempotencyKey: string | undefined;
  /** For schedule and catch-up runs: the schedule time it is for. */
  readonly scheduledFor: number | undefined;
  readonly queuedAt: number;
  readonly startedAt: number | undefined;
  readonly endedAt: number | undefined;
  /** Why it failed, was skipped or cancelled: `load failed: exit code 2`. */
  readonly reason: string | undefined;
  readonly failures: readonly TaskFailure[];
  /** How many times orch stopped while it ran. */
  readonly interruptions: number;
}

/** A run to record: what the scheduler knows when a trigger is admitted. */
export interface NewRun {
  readonly flow: string;
  readonly status: "queued" | "running" | "skipped";
  readonly trigger: RunTrigger;
  readonly payload: unknown;
  readonly idempotencyKey?: string;
  readonly scheduledFor?: number;
  readonly queuedAt: number;
  readonly startedAt?: number;
  readonly endedAt?: number;
  readonly reason?: string;
  /** Its tasks, recorded as pending first attempts. */
  readonly tasks: readonly string[];
}

/** The fields of a run that change as it goes. */
export type RunPatch = Partial<
  Pick<RunRecord, "status" | "startedAt" | "endedAt" | "reason" | "failures" | "interruptions">
>;

/** The exit of a task attempt's process. */
export interface TaskExit {
  readonly code: number | null;
  readonly signal: string | null;
}

/** One attempt of one task of a run. */
export interface TaskRunRecord {
  readonly runId: number;
  readonly task: string;
  /** From 1. */
  readonly attempt: number;
  readonly state: TaskState;
  readonly startedAt: number | undefined;
  readonly endedAt: number | undefined;
  readonly exit: TaskExit | undefined;
  readonly error: string | undefined;
  /** Key/value pairs it wrote to its outputs file. */
  readonly outputs: Readonly<Record<string, string>>;
  /** What a waiting task waits for: `executor (4 of 4 busy)`, `pool db_conn (2 of 2)`. */
  readonly waitingFor: string | undefined;
  /** When a retrying task's next attempt starts. */
  readonly retryAt: number | undefined;
  /** The file that holds this attempt's output lines (NDJSON). */
  readonly logPath: string | undefined;
  /** Attempts of this task that a clean stop of orch ended; the retry budget does not count them. */
  readonly freeAttempts: number;
}
