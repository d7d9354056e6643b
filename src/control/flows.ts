/**
 * The flows part of the control interface: the flows with their schedules and last runs, runs and
 * their tasks, triggers, events, cancel and retry, and the scheduler's state, pause and resume.
 * In this process over the scheduler and the history (`flows_local.ts`), over HTTP a client of the
 * `/v1/flows`, `/v1/runs`, `/v1/events/NAME` and `/v1/scheduler` routes (`flows_http.ts`).
 *
 * @module
 */
import type { EdgeOn, LogRecord, RunRecord, RunStatus, TaskRunRecord } from "../domain/mod.ts";

/** A task of a flow as the graph shows it. */
export interface FlowTaskInfo {
  readonly name: string;
  readonly runtime: string;
  /** The tasks it follows, each with the outcome it follows on. */
  readonly upstream: readonly { readonly task: string; readonly on: EdgeOn }[];
  /** Services it waits for. */
  readonly needs: readonly string[];
}

/** A flow now: its triggers, the next schedule times, its runs. */
export interface FlowSummary {
  readonly name: string;
  readonly description?: string;
  /** Cron expressions and intervals, as written. */
  readonly schedules: readonly string[];
  readonly timezone?: string;
  readonly events: readonly string[];
  /** The next schedule times (ms since the epoch), soonest first; empty without schedules. */
  readonly nextRuns: readonly number[];
  readonly paused: boolean;
  /** Ids of its running runs. */
  readonly running: readonly number[];
  readonly queued: number;
  /** Its newest run, if any. */
  readonly lastRun?: RunRecord;
  /** The statuses of its newest runs, newest first (at most 10). */
  readonly recent: readonly RunStatus[];
}

/** One flow with its task graph. */
export interface FlowDetail extends FlowSummary {
  readonly tasks: readonly FlowTaskInfo[];
}

/** Which runs to list, newest first. */
export interface RunsQuery {
  readonly flow?: string;
  readonly status?: readonly RunStatus[];
  /** Queued at or after (ms since the epoch). */
  readonly since?: number;
  /** Queued before. */
  readonly until?: number;
  /** The page after the one whose `next` this is. */
  readonly before?: number;
  /** Page size (default 50, at most 1000). */
  readonly limit?: number;
}

/** A page of runs; `next` is the cursor of the following page. */
export interface RunsPage {
  readonly runs: readonly RunRecord[];
  readonly next?: number;
}

/** One run: its record, every attempt of its tasks, and its flow's graph (when it still exists). */
export interface RunDetail {
  readonly run: RunRecord;
  readonly tasks: readonly TaskRunRecord[];
  readonly graph: readonly FlowTaskInfo[];
}

/** The latest attempt of each task of a run, in its graph's order (tasks no longer in it last). */
export function latestAttempts(detail: RunDetail): TaskRunRecord[] {
  const latest = new Map<string, TaskRunRecord>();
  for (const row of detail.tasks) {
    const seen = latest.get(row.task);
    if (!seen || seen.attempt < row.attempt) latest.set(row.task, row);
  }
  const order = [...new Set([...detail.graph.map((t) => t.name), ...latest.keys()])];
  return order.flatMap((t) => latest.get(t) ?? []);
}

/** What a trigger did: the run, and false `created` when the idempotency key was used before. */
export interface TriggerOutcome {
  readonly run: RunRecord;
  readonly created: boolean;
}

/** How to trigger a flow or publish an event. */
export interface TriggerInput {
  readonly payload?: unknown;
  readonly idempotencyKey?: string;
}

/** One command to run as an ad-hoc run (`orch exec`, Conducktor's `run`). */
export interface ExecInput {
  /** The program and its arguments, run as given (no shell, no `${...}` expansion). */
  readonly command: readonly string[];
  /** Set over orch's own environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Its working directory: absolute, or relative to the project's (the default). */
  readonly cwd?: string;
  /** Its process group is stopped after this long. */
  readonly timeoutMs?: number;
  /** Pool name -> slots it holds while it runs. */
  readonly slots?: Readonly<Record<string, number>>;
}

/**
 * What an exec streams: its run (first), its output as it comes (`stream` stdout, stderr, or
 * `orch` for orch's own notes), then the run and its task's attempt as they ended (last).
 */
export type ExecEvent =
  | { readonly type: "run"; readonly run: RunRecord }
  | { readonly type: "output"; readonly records: readonly LogRecord[] }
  | { readonly type: "end"; readonly run: RunRecord; readonly task?: TaskRunRecord };

/** An exec's events as they come (a `Stream` of the control interface); `close` lets go. */
export interface ExecStream extends AsyncIterable<ExecEvent> {
  batches(): AsyncIterable<readonly ExecEvent[]>;
  close(): void;
}

/** Runs of a flow in one status (for the metrics). */
export interface RunCountRow {
  readonly flow: string;
  readonly status: RunStatus;
  readonly count: number;
}

/** The scheduler now. */
export interface SchedulerState {
  /** The whole scheduler is paused. */
  readonly paused: boolean;
  /** Flows paused one by one. */
  readonly pausedFlows: readonly string[];
  readonly executors: { readonly busy: number; readonly max: number };
  readonly running: number;
  readonly queued: number;
  readonly flows: number;
  /** Runs by flow and status, in the history. */
  readonly counts: readonly RunCountRow[];
  /** Per flow, how late its newest scheduled run started after its schedule time (ms). */
  readonly lagMs: Readonly<Record<string, number>>;
}

/** Driving the flows of a running orch. */
export interface FlowControl {
  /** The flows. */
  list(): Promise<FlowSummary[]>;
  /** One flow with its graph. @throws {NotFoundError} */
  get(name: string): Promise<FlowDetail>;
  /** A manual run of `flow`, subject to its overlap policy. */
  trigger(flow: string, input?: TriggerInput): Promise<TriggerOutcome>;
  /** Publishes an event: every flow listening to it is triggered (none: an empty list). */
  publish(event: string, input?: TriggerInput): Promise<TriggerOutcome[]>;
  runs(query?: RunsQuery): Promise<RunsPage>;
  /** @throws {NotFoundError} */
  run(id: number): Promise<RunDetail>;
  /** Cancels a queued or running run. @throws {ConflictError} for one that has ended. */
  cancel(id: number): Promise<RunRecord>;
  /**
   * Runs an ended run again from `from` (default: its first failed task; with `only`, that task
   * alone): a new run. @throws {UsageError} without `from` for a run with no failed task.
   */
  retry(id: number, options: { readonly from?: string; readonly only?: boolean }): Promise<
    TriggerOutcome
  >;
  /**
   * Runs one command as a run of the ad-hoc flow `@exec`, on the executors like any task, and
   * streams it (see {@link ExecEvent}). Closing the stream does not stop the command (`cancel`
   * the run does). @throws {UsageError} for an empty command or slots no pool can give.
   */
  exec(input: ExecInput): Promise<ExecStream>;
  scheduler(): Promise<SchedulerState>;
  /** Pauses one flow, or (without) the whole scheduler. */
  pause(flow?: string): Promise<SchedulerState>;
  resume(flow?: string): Promise<SchedulerState>;
}
