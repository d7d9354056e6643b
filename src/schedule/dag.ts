/**
 * The run DAG as a pure table: the state of every task of one run, and
 * `advance(flow, run, event, now) -> { run, effects }`. A task becomes `waiting` when its upstream
 * tasks are settled and its condition holds, `skipped` when it does not (and its descendants after
 * it); failures are retried by the task's policy; a cancel stops what runs and cancels the rest.
 * The scheduler performs the effects (persisting rows, stopping processes, arming retry timers)
 * and decides which waiting tasks get an executor.
 *
 * @module
 */
import {
  type Flow,
  type FlowTask,
  isTaskSettled,
  type RetryPolicy,
  type TaskEdge,
  type TaskExit,
  type TaskFailure,
  type TaskRunRecord,
  type TaskState,
} from "../domain/mod.ts";

/** One task of a run: the row of its current attempt. */
export interface TaskSlot {
  readonly state: TaskState;
  /** The attempt this row is about, from 1 (pending and waiting: the attempt to come). */
  readonly attempt: number;
  /** Attempts that ended by a clean stop of orch, which the retry budget does not count. */
  readonly free: number;
  readonly startedAt?: number;
  readonly endedAt?: number;
  readonly exit?: TaskExit;
  readonly error?: string;
  readonly retryAt?: number;
  readonly outputs: Readonly<Record<string, string>>;
}

/** The table of one run. */
export interface DagRun {
  readonly tasks: ReadonlyMap<string, TaskSlot>;
  /** Set once the run is cancelled: why. */
  readonly cancelled: string | undefined;
}

/** How an attempt ended. */
export interface AttemptResult {
  readonly ok: boolean;
  readonly exit?: TaskExit;
  /** Why it failed: `exit code 2`, `timed out after 5s`, `command not found`. */
  readonly error?: string;
  readonly outputs?: Readonly<Record<string, string>>;
}

/** What happens to a run's table. */
export type DagEvent =
  | { readonly type: "begin" }
  | { readonly type: "started"; readonly task: string }
  | { readonly type: "exited"; readonly task: string; readonly result: AttemptResult }
  | { readonly type: "retryDue"; readonly task: string }
  | { readonly type: "cancel"; readonly reason: string }
  /** orch stopped while tasks ran: after a crash (`counted`) or a clean stop (not counted). */
  | { readonly type: "interrupt"; readonly counted: boolean };

/** What the scheduler must do. */
export type DagEffect =
  /** A task's row changed (a new row when `attempt` is new). */
  | {
    readonly kind: "row";
    readonly task: string;
    readonly previous: TaskState;
    readonly slot: TaskSlot;
  }
  /** Stop a running task (cancel). */
  | { readonly kind: "stop"; readonly task: string; readonly reason: string }
  /** Deliver `retryDue` for the task at `at`. */
  | { readonly kind: "timer"; readonly task: string; readonly at: number };

/** A run's table before it begins: every task pending. */
export function newRun(flow: Flow): DagRun {
  const tasks = new Map<string, TaskSlot>();
  for (const name of Object.keys(flow.tasks)) {
    tasks.set(name, { state: "pending", attempt: 1, free: 0, outputs: {} });
  }
  return { tasks, cancelled: undefined };
}

/**
 * A run's table rebuilt from its history rows (the latest attempt of each task wins). Tasks the
 * flow no longer has are dropped; tasks it gained are pending.
 */
export function restoreRun(
  flow: Flow,
  rows: readonly TaskRunRecord[],
  cancelled?: string,
): DagRun {
  const latest = new Map<string, TaskRunRecord>();
  for (const row of rows) {
    const current = latest.get(row.task);
    if (!current || row.attempt >= current.attempt) latest.set(row.task, row);
  }
  const tasks = new Map(newRun(flow).tasks);
  for (const [name, row] of latest) {
    if (!tasks.has(name)) continue;
    tasks.set(name, {
      // An attempt marked interrupted whose next row was never written is taken up again.
      state: row.state === "interrupted" ? "running" : row.state,
      attempt: row.attempt,
      free: row.freeAttempts,
      ...(row.startedAt !== undefined ? { startedAt: row.startedAt } : {}),
      ...(row.endedAt !== undefined ? { endedAt: row.endedAt } : {}),
      ...(row.exit ? { exit: row.exit } : {}),
      ...(row.error !== undefined ? { error: row.error } : {}),
      ...(row.retryAt !== undefined ? { retryAt: row.retryAt } : {}),
      outputs: row.outputs,
    });
  }
  return { tasks, cancelled };
}

/** The delay before the retry that follows `failures` failed attempts (1 for the first retry). */
export function retryDelay(policy: RetryPolicy, failures: number): number {
  return Math.min(policy.maxDelayMs, policy.delayMs * policy.factor ** Math.max(0, failures - 1));
}

const handledCache = new WeakMap<Flow, ReadonlySet<string>>();
/**
 * Tasks whose failure a branch of the flow handles: an edge `on: failure` or `done` leaves them, or
 * a task below them runs on `on_failure`, `all_done` or `always`.
 */
export function handledTasks(flow: Flow): ReadonlySet<string> {
  let set = handledCache.get(flow);
  if (!set) {
    const out = new Set<string>();
    for (const task of Object.values(flow.tasks)) {
      const lenient = task.condition === "on_failure" || task.condition === "all_done" ||
        task.condition === "always";
      for (const edge of task.upstream) if (lenient || edge.on !== "success") out.add(edge.task);
    }
    handledCache.set(flow, set = out);
  }
  return set;
}

function taken(edge: TaskEdge, state: TaskState): boolean {
  if (edge.on === "success") return state === "succeeded";
  if (edge.on === "failure") return state === "failed";
  return state === "succeeded" || state === "failed";
}

function describeUpstream(edge: TaskEdge, state: TaskState, handled: boolean): string {
  if (state === "skipped" || state === "cancelled") return `upstream ${edge.task} was ${state}`;
  if (edge.on === "failure" && state === "succeeded") {
    return `branch not taken: ${edge.task} succeeded`;
  }
  if (edge.on === "success" && state === "failed") {
    return handled ? `branch not taken: ${edge.task} failed` : `upstream ${edge.task} failed`;
  }
  return `upstream ${edge.task} ${state}`;
}

/** Whether a task whose upstream tasks are settled runs, and why not when it does not. */
export function decide(
  flow: Flow,
  task: FlowTask,
  tasks: ReadonlyMap<string, TaskSlot>,
): "wait" | "run" | { skip: string } {
  const edges = task.upstream;
  if (edges.length === 0) return "run";
  const states = edges.map((e) => tasks.get(e.task)?.state ?? "pending");
  if (!states.every(isTaskSettled)) return "wait";
  const handled = handledTasks(flow);
  const at = (i: number) => describeUpstream(edges[i], states[i], handled.has(edges[i].task));
  switch (task.condition) {
    case "all_success": {
      const i = edges.findIndex((e, j) => !taken(e, states[j]));
      return i < 0 ? "run" : { skip: at(i) };
    }
    case "none_failed": {
      const bad = edges.findIndex((e, j) =>
        states[j] === "failed" && !handled.has(e.task) && e.on === "success"
      );
      if (bad >= 0) return { skip: at(bad) };
      if (edges.some((e, j) => taken(e, states[j]))) return "run";
      return { skip: at(0) };
    }
    case "on_failure":
      return states.includes("failed") ? "run" : { skip: "no upstream task failed" };
    case "all_done": {
      const i = states.findIndex((s) => s !== "succeeded" && s !== "failed");
      return i < 0 ? "run" : { skip: at(i) };
    }
    case "always":
      return "run";
    default: {
      const never: never = task.condition;
      throw new Error(`unknown condition ${never}`);
    }
  }
}

/** Applies one event to a run's table. */
export function advance(
  flow: Flow,
  run: DagRun,
  event: DagEvent,
  now: number,
): { run: DagRun; effects: DagEffect[] } {
  const tasks = new Map(run.tasks);
  let cancelled = run.cancelled;
  const effects: DagEffect[] = [];
  const set = (task: string, slot: TaskSlot) => {
    const previous = tasks.get(task)!.state;
    tasks.set(task, slot);
    effects.push({ kind: "row", task, previous, slot });
  };
  const slot = (task: string) => {
    const s = tasks.get(task);
    if (!s) throw new Error(`run has no task ${JSON.stringify(task)}`);
    return s;
  };
  switch (event.type) {
    case "begin":
      break;
    case "started": {
      const s = slot(event.task);
      if (s.state !== "waiting") throw new Error(`cannot start ${event.task}: it is ${s.state}`);
      set(event.task, { ...s, state: "running", startedAt: now, outputs: {} });
      break;
    }
    case "exited": {
      const s = slot(event.task);
      if (s.state !== "running") break;
      const { result } = event;
      const done = { ...s, endedAt: now, exit: result.exit, outputs: result.outputs ?? {} };
      if (result.ok) set(event.task, { ...done, state: "succeeded" });
      else if (cancelled !== undefined) {
        set(event.task, { ...done, state: "cancelled", error: cancelled });
      } else {
        const retry = flow.tasks[event.task].retry;
        const code = result.exit?.code;
        const retryable = retry.onExitCodes === undefined ||
          (code !== null && code !== undefined && retry.onExitCodes.includes(code));
        const failures = s.attempt - s.free;
        if (retryable && failures < retry.attempts) {
          const at = now + retryDelay(retry, failures);
          set(event.task, { ...done, state: "retrying", error: result.error, retryAt: at });
          effects.push({ kind: "timer", task: event.task, at });
        } else {
          set(event.task, { ...done, state: "failed", error: result.error });
        }
      }
      break;
    }
    case "retryDue": {
      const s = slot(event.task);
      if (s.state !== "retrying" || cancelled !== undefined) break;
      set(event.task, { state: "waiting", attempt: s.attempt + 1, free: s.free, outputs: {} });
      break;
    }
    case "cancel": {
      if (cancelled !== undefined) break;
      cancelled = event.reason;
      for (const [name, s] of tasks) {
        if (s.state === "running") effects.push({ kind: "stop", task: name, reason: event.reason });
        else if (!isTaskSettled(s.state)) {
          set(name, { ...s, state: "cancelled", error: event.reason, endedAt: now });
        }
      }
      break;
    }
    case "interrupt": {
      for (const [name, s] of tasks) {
        if (s.state !== "running") continue;
        const error = event.counted
          ? "interrupted: orch stopped while it ran"
          : "interrupted: orch was stopped";
        set(name, { ...s, state: "interrupted", error, endedAt: now });
        const free = s.free + (event.counted ? 0 : 1);
        const budget = flow.tasks[name]?.retry.attempts ?? 1;
        if (s.attempt - free < budget) {
          set(name, { state: "waiting", attempt: s.attempt + 1, free, outputs: {} });
        } else {
          set(name, { ...s, state: "failed", error: `${error}, no attempts left`, endedAt: now });
        }
      }
      break;
    }
    default: {
      const never: never = event;
      throw new Error(`unknown event ${JSON.stringify(never)}`);
    }
  }
  settle(flow, tasks, cancelled, now, set);
  return { run: { tasks, cancelled }, effects };
}

/** Moves pending tasks on: waiting when they may run, skipped or cancelled when not. */
function settle(
  flow: Flow,
  tasks: Map<string, TaskSlot>,
  cancelled: string | undefined,
  now: number,
  set: (task: string, slot: TaskSlot) => void,
): void {
  for (let changed = true; changed;) {
    changed = false;
    for (const [name, s] of tasks) {
      if (s.state !== "pending") continue;
      if (cancelled !== undefined) {
        set(name, { ...s, state: "cancelled", error: cancelled, endedAt: now });
        changed = true;
        continue;
      }
      const verdict = decide(flow, flow.tasks[name], tasks);
      if (verdict === "wait") continue;
      changed = true;
      if (verdict === "run") set(name, { ...s, state: "waiting" });
      else set(name, { ...s, state: "skipped", error: verdict.skip, endedAt: now });
    }
  }
}

/** Tasks that may start, in declaration order. */
export function waitingTasks(run: DagRun): string[] {
  return [...run.tasks].filter(([, s]) => s.state === "waiting").map(([n]) => n);
}

/** How a run ended, once every task is settled. */
export interface RunOutcome {
  readonly status: "succeeded" | "failed" | "cancelled";
  readonly failures: readonly TaskFailure[];
  readonly reason: string | undefined;
}

/** The run's outcome, or undefined while a task is not settled. */
export function outcomeOf(flow: Flow, run: DagRun): RunOutcome | undefined {
  for (const s of run.tasks.values()) if (!isTaskSettled(s.state)) return undefined;
  const handled = handledTasks(flow);
  const failures = [...run.tasks].filter(([, s]) => s.state === "failed").map(([task, s]) => ({
    task,
    error: s.error ?? "failed",
    handled: handled.has(task),
  }));
  if (run.cancelled !== undefined) {
    return { status: "cancelled", failures, reason: run.cancelled };
  }
  const unhandled = failures.filter((f) => !f.handled);
  if (unhandled.length > 0) {
    return {
      status: "failed",
      failures,
      reason: unhandled.map((f) => `${f.task} failed: ${f.error}`).join("; "),
    };
  }
  return {
    status: "succeeded",
    failures,
    reason: failures.length > 0
      ? `handled: ${failures.map((f) => `${f.task} failed: ${f.error}`).join("; ")}`
      : undefined,
  };
}
