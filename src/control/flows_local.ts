/**
 * The flows' control in this process: over the scheduler and the run history that the
 * composition root hands in (declared here as the ports this needs), or, for an orch that runs no
 * flows, one whose every call says so (404).
 *
 * @module
 */
import {
  ConflictError,
  EXEC_FLOW,
  type Flow,
  type FlowSet,
  NotFoundError,
  type RunRecord,
  type TaskRunRecord,
  UsageError,
} from "../domain/mod.ts";
import type {
  FlowControl,
  FlowDetail,
  FlowSummary,
  FlowTaskInfo,
  RunCountRow,
  RunsQuery,
  SchedulerState,
  TriggerInput,
  TriggerOutcome,
} from "./flows.ts";
import { type ExecRunner, startExec } from "./exec.ts";
import type { LogStore } from "./ports.ts";

/** A flow as the scheduler sees it now (`Scheduler.status().flows`). */
export interface RunnerFlowStatus {
  readonly name: string;
  readonly nextFire: number | undefined;
  readonly paused: boolean;
  readonly running: readonly number[];
  readonly queued: number;
}

/** The scheduler, as control drives it (`src/schedule`'s Scheduler is one). */
export interface FlowRunner extends ExecRunner {
  readonly flows: FlowSet;
  trigger(flow: string, options?: TriggerInput): TriggerOutcome;
  publish(event: string, options?: TriggerInput): TriggerOutcome[];
  retry(id: number, options: { from: string; only?: boolean }): TriggerOutcome;
  cancel(id: number, reason?: string): RunRecord;
  upcoming(flow: string, count: number): number[];
  isPaused(flow?: string): boolean;
  pause(flow?: string): void;
  resume(flow?: string): void;
  status(): {
    readonly paused: boolean;
    readonly executors: { readonly busy: number; readonly max: number };
    readonly running: number;
    readonly queued: number;
    readonly flows: readonly RunnerFlowStatus[];
  };
}

/** The run history, as control reads it (`src/store`'s HistoryStore is one). */
export interface FlowHistory {
  runs(query?: RunsQuery): { readonly runs: readonly RunRecord[]; readonly next?: number };
  run(id: number): RunRecord | undefined;
  tasks(runId: number): TaskRunRecord[];
  counts(): RunCountRow[];
}

/** How many schedule times a flow's summary lists. */
const NEXT_RUNS = 3;
/** How many recent statuses a flow's summary carries. */
const RECENT = 10;

/** The graph of a flow's tasks. */
export function taskInfos(flow: Flow): FlowTaskInfo[] {
  return Object.values(flow.tasks).map((t) => ({
    name: t.name,
    runtime: t.runtime,
    upstream: t.upstream.map((u) => ({ task: u.task, on: u.on })),
    needs: [...t.needs],
  }));
}

/** `fn`'s result, or its error, as a promise. */
const later = <T>(fn: () => T): Promise<T> => Promise.resolve().then(fn);

/** What exec streams from and where its commands run by default. */
export interface ExecParts {
  /** The log store the tasks' output goes to (without it, exec is refused). */
  readonly logs?: LogStore;
  /** The directory a command runs in when none is given (the project's; default the cwd). */
  readonly dir?: string;
}

/** The flows' control over a scheduler and its history. */
export function localFlows(
  runner: FlowRunner,
  history: FlowHistory,
  parts: ExecParts = {},
): FlowControl {
  const known = (name: string): Flow => {
    if (!Object.hasOwn(runner.flows.flows, name)) {
      throw new NotFoundError(`no flow named ${JSON.stringify(name)}`);
    }
    return runner.flows.flows[name];
  };
  const summary = (flow: Flow, now: RunnerFlowStatus | undefined): FlowSummary => {
    const recent = history.runs({ flow: flow.name, limit: RECENT }).runs;
    return {
      name: flow.name,
      ...(flow.description ? { description: flow.description } : {}),
      schedules: flow.schedules.map((s) => s.expr),
      ...(flow.timezone ? { timezone: flow.timezone } : {}),
      events: [...flow.events],
      nextRuns: flow.schedules.length > 0 ? runner.upcoming(flow.name, NEXT_RUNS) : [],
      paused: now?.paused ?? runner.isPaused(flow.name),
      running: now?.running ?? [],
      queued: now?.queued ?? 0,
      ...(recent[0] ? { lastRun: recent[0] } : {}),
      recent: recent.map((r) => r.status),
    };
  };
  /** The task a retry starts from when none is named: the run's first failed one. */
  const firstFailed = (id: number): string => {
    const run = history.run(id);
    if (!run) throw new NotFoundError(`no run ${id}`);
    const task = run.failures[0]?.task ??
      history.tasks(id).find((t) => t.state === "failed" || t.state === "cancelled")?.task;
    if (task === undefined) {
      throw new UsageError(`run ${id} has no failed task: name the task to retry from`);
    }
    return task;
  };
  const statusOf = (name: string) => runner.status().flows.find((f) => f.name === name);
  const state = (): SchedulerState => {
    const s = runner.status();
    const lagMs: Record<string, number> = Object.create(null);
    for (const flow of Object.values(runner.flows.flows)) {
      if (flow.schedules.length === 0) continue;
      const last = history.runs({ flow: flow.name, limit: 20 }).runs
        .find((r) => r.scheduledFor !== undefined && r.startedAt !== undefined);
      if (last) lagMs[flow.name] = Math.max(0, last.startedAt! - last.scheduledFor!);
    }
    return {
      paused: s.paused,
      pausedFlows: s.flows.filter((f) => f.paused && !s.paused).map((f) => f.name),
      executors: s.executors,
      running: s.running,
      queued: s.queued,
      flows: s.flows.length,
      counts: history.counts(),
      lagMs,
    };
  };
  return {
    list: () =>
      later(() => {
        const now = new Map(runner.status().flows.map((f) => [f.name, f]));
        return Object.values(runner.flows.flows).map((f) => summary(f, now.get(f.name)));
      }),
    get: (name) =>
      later((): FlowDetail => {
        const flow = known(name);
        return { ...summary(flow, statusOf(name)), tasks: taskInfos(flow) };
      }),
    trigger: (flow, input = {}) => later(() => runner.trigger(flow, input)),
    publish: (event, input = {}) => later(() => runner.publish(event, input)),
    runs: (query = {}) =>
      later(() => {
        if (query.flow !== undefined && query.flow !== EXEC_FLOW) known(query.flow);
        const page = history.runs(query);
        return { runs: page.runs, ...(page.next !== undefined ? { next: page.next } : {}) };
      }),
    run: (id) =>
      later(() => {
        const run = history.run(id);
        if (!run) throw new NotFoundError(`no run ${id}`);
        const flow = Object.hasOwn(runner.flows.flows, run.flow)
          ? runner.flows.flows[run.flow]
          : undefined;
        return { run, tasks: history.tasks(id), graph: flow ? taskInfos(flow) : [] };
      }),
    cancel: (id) => later(() => runner.cancel(id)),
    retry: (id, options) =>
      later(() => {
        if (history.run(id)?.flow === EXEC_FLOW) {
          throw new ConflictError(`run ${id} ran orch exec: it is not retried (exec it again)`);
        }
        const from = options.from ?? firstFailed(id);
        return runner.retry(id, { from, ...(options.only ? { only: true } : {}) });
      }),
    exec: (input) =>
      later(() =>
        startExec(input, { runner, history, logs: parts.logs, dir: parts.dir ?? Deno.cwd() })
      ),
    scheduler: () => later(state),
    pause: (flow) =>
      later(() => {
        runner.pause(flow);
        return state();
      }),
    resume: (flow) =>
      later(() => {
        runner.resume(flow);
        return state();
      }),
  };
}

/** The flows' control of an orch that runs no flows: every call is a 404 that says so. */
export function noFlows(): FlowControl {
  const none = () =>
    Promise.reject(
      new NotFoundError("this orch runs no flows (its stack has no flows: or jobs directory)"),
    );
  return {
    list: () => Promise.resolve([]),
    get: none,
    trigger: none,
    publish: none,
    runs: () => Promise.resolve({ runs: [] }),
    run: none,
    cancel: none,
    retry: none,
    exec: () =>
      Promise.reject(
        new NotFoundError(
          "this orch runs no flows, so no executors for orch exec (its stack has no flows: or " +
            "jobs directory); stop it and orch exec runs the command itself, or give it a flow",
        ),
      ),
    scheduler: none,
    pause: none,
    resume: none,
  };
}
