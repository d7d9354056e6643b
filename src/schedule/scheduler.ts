/**
 * The scheduler of flows: triggers (schedules on the injected clock, events with idempotency keys,
 * chains on other flows' runs, service state changes, manual runs) admitted by each flow's overlap
 * policy; runs driven through their DAG tables; waiting tasks given executors, pool slots and run
 * concurrency; history written through the store; recovery after a crash; a clean stop.
 *
 * @module
 */
import {
  ConflictError,
  didYouMean,
  type Flow,
  type FlowSet,
  isRunEnded,
  noSuchFlow,
  noSuchRun,
  NotFoundError,
  type RunRecord,
  type RunStatus,
  type TriggerKind,
} from "../domain/mod.ts";
import { admit } from "./admission.ts";
import { beginExec, type ExecSpec } from "./adhoc.ts";
import { RunPool } from "./pool.ts";
import type { SchedulerDeps, ServiceChange } from "./ports.ts";
import { recoverRuns } from "./recovery.ts";
import { ScheduleTimer } from "./timer.ts";
import { keptByRetry } from "./retry.ts";

/** What a trigger did: the run it made (or found, for a repeated idempotency key). */
export interface TriggerResult {
  readonly run: RunRecord;
  /** False when the idempotency key had been used: `run` is the earlier run. */
  readonly created: boolean;
}

/** How to trigger a flow. */
export interface TriggerOptions {
  readonly payload?: unknown;
  readonly idempotencyKey?: string;
}

/** A flow as the scheduler sees it now. */
export interface FlowStatus {
  readonly name: string;
  readonly schedules: readonly string[];
  readonly timezone: string | undefined;
  readonly events: readonly string[];
  /** The next schedule time, when it has schedules. */
  readonly nextFire: number | undefined;
  readonly paused: boolean;
  /** Ids of its running runs. */
  readonly running: readonly number[];
  readonly queued: number;
}

/** The scheduler as a whole. */
export interface SchedulerStatus {
  readonly paused: boolean;
  readonly executors: { readonly busy: number; readonly max: number };
  readonly running: number;
  readonly queued: number;
  readonly flows: readonly FlowStatus[];
}

/** How `start` begins. */
export interface StartOptions {
  /** Arm the schedules and catch up (default true). */
  readonly schedules?: boolean;
  /** Take up runs a stopped or killed orch left (default true). */
  readonly recover?: boolean;
  /** Start flows chained on others' runs and on services' states (default true). */
  readonly follow?: boolean;
}

/** Runs the flows of a project. */
export class Scheduler {
  readonly deps: SchedulerDeps;
  readonly #flows: FlowSet;
  readonly #pool: RunPool;
  readonly #timer: ScheduleTimer;
  readonly #paused = new Set<string>();
  #allPaused = false;
  #unsubscribe: (() => void) | undefined;
  #stopping: Promise<void> | undefined;
  #follow = true;

  constructor(flows: FlowSet, deps: SchedulerDeps) {
    this.#flows = flows;
    this.deps = deps;
    this.#pool = new RunPool(flows, deps, {
      emitRun: (record, previous) => this.#emitRun(record, previous),
      ended: (record) => this.#chain(record),
    });
    this.#timer = new ScheduleTimer(Object.values(flows.flows), {
      clock: deps.clock,
      store: deps.store,
      isPaused: (flow) => this.isPaused(flow),
      fire: (flow, kind, expr, at) =>
        void this.#trigger(flow, kind, expr, {
          payload: { scheduledFor: new Date(at).toISOString() },
          scheduledFor: at,
        }),
    });
  }

  /** The flows. */
  get flows(): FlowSet {
    return this.#flows;
  }

  #flow(name: string): Flow {
    if (!Object.hasOwn(this.#flows.flows, name)) {
      throw noSuchFlow(name);
    }
    return this.#flows.flows[name];
  }

  /** Recovers what an earlier orch left, catches up on missed schedules, and arms them. */
  start(options: StartOptions = {}): void {
    const { store } = this.deps;
    this.#follow = options.follow !== false;
    for (const flow of Object.keys(this.#flows.flows)) {
      if (store.flowMark(flow).paused) this.#paused.add(flow);
    }
    if (options.recover !== false) {
      recoverRuns(this.#pool.host, this.#flows, {
        activate: (run) => this.#pool.activate(run),
        enqueue: (record) => this.#pool.queue(record.flow).push(record),
        emitRun: (record, previous) => this.#emitRun(record, previous),
      });
      for (const flow of Object.keys(this.#flows.flows)) this.#pool.drain(flow);
    }
    if (this.deps.services && this.#follow) {
      this.#unsubscribe = this.deps.services.subscribe((c) => this.#onService(c));
    }
    if (options.schedules !== false) this.#timer.start();
    this.#pool.scheduleDispatch();
  }

  // ---- triggers --------------------------------------------------------------------------

  /** Starts a manual run of `flow` (with a payload), subject to its overlap policy. */
  trigger(flow: string, options: TriggerOptions = {}): TriggerResult {
    return this.#trigger(this.#flow(flow), "manual", "", options);
  }

  /**
   * Runs an ended run again from task `from`: that task and what follows it (with `only`, that
   * task alone) run again, every other task keeps how it ended (outputs included). A new run
   * (trigger `retry`) with the same payload, subject to the overlap policy.
   */
  retry(id: number, options: { from: string; only?: boolean }): TriggerResult {
    const old = this.deps.store.run(id);
    if (!old) throw noSuchRun(id);
    if (!isRunEnded(old.status) || old.status === "skipped") {
      throw new ConflictError(
        `run ${id} is ${old.status}: only a run that ran and ended is retried`,
      );
    }
    const flow = this.#flow(old.flow);
    if (!Object.hasOwn(flow.tasks, options.from)) {
      const hint = didYouMean(options.from, Object.keys(flow.tasks));
      throw new NotFoundError(
        `flow ${flow.name} has no task ${JSON.stringify(options.from)}${hint ? ` (${hint})` : ""}`,
      );
    }
    const kept = keptByRetry(flow, this.deps.store.tasks(id), options.from, options.only);
    return this.#trigger(flow, "retry", `run ${id} from ${options.from}`, {
      payload: old.payload,
      prepare: (run) => {
        for (const row of kept) {
          this.deps.store.putTask({ ...row, runId: run.id, attempt: 1, freeAttempts: 0 });
        }
      },
    });
  }

  /** Runs one command as a run of the ad-hoc flow `@exec` (see `adhoc.ts`). */
  exec(spec: ExecSpec): TriggerResult {
    return beginExec(this.#pool, this.#flows.pools, spec);
  }

  /** Publishes an event: every flow listening to `event` is triggered; returns their runs. */
  publish(event: string, options: TriggerOptions = {}): TriggerResult[] {
    return Object.values(this.#flows.flows)
      .filter((f) => f.events.includes(event))
      .map((f) => this.#trigger(f, "event", event, options));
  }

  #trigger(
    flow: Flow,
    kind: TriggerKind,
    detail: string,
    options: TriggerOptions & {
      scheduledFor?: number;
      /** Called with a new run (not a skipped one) before it starts. */
      prepare?: (run: RunRecord) => void;
    },
  ): TriggerResult {
    const { store, clock } = this.deps;
    if (this.#pool.closing) {
      throw new ConflictError(`cannot start ${flow.name}: orch is stopping`);
    }
    const now = clock.now();
    const key = options.idempotencyKey;
    if (key !== undefined) {
      const existing = store.runByKey(flow.name, key);
      if (existing) return { run: existing, created: false };
    }
    const base = {
      flow: flow.name,
      trigger: { kind, detail },
      payload: options.payload ?? {},
      ...(key !== undefined ? { idempotencyKey: key } : {}),
      ...(options.scheduledFor !== undefined ? { scheduledFor: options.scheduledFor } : {}),
      queuedAt: now,
      tasks: Object.keys(flow.tasks),
    };
    const skip = (reason: string): TriggerResult => {
      const result = store.createRun({ ...base, status: "skipped", endedAt: now, reason });
      if (result.created) this.#emitRun(result.run, undefined);
      return result;
    };
    if (kind !== "manual" && kind !== "retry") {
      if (this.isPaused(flow.name)) return skip("the flow is paused");
      const unmet = this.#unmet(flow, now);
      if (unmet) return skip(unmet);
    }
    const queue = this.#pool.queue(flow.name);
    const decision = admit(flow, this.#pool.runningOf(flow), queue.length, kind);
    if (decision.action === "skip") return skip(decision.reason);
    if (decision.action === "start") {
      const result = store.createRun({ ...base, status: "running", startedAt: now });
      if (!result.created) return result;
      options.prepare?.(result.run);
      this.#pool.begin(flow, result.run, undefined);
      return result;
    }
    const result = store.createRun({ ...base, status: "queued" });
    if (!result.created) return result;
    options.prepare?.(result.run);
    this.#emitRun(result.run, undefined);
    if (decision.action === "replace") {
      // The newest replaces what waits as well as the oldest running run.
      const reason = `replaced by run ${result.run.id}`;
      for (const queued of [...queue]) this.#pool.cancel(queued.id, reason);
      queue.push(result.run);
      this.#pool.cancel(decision.victim, reason);
    } else {
      queue.push(result.run);
    }
    return result;
  }

  /** Petit's `depends_on`: why another flow's history forbids this run, if it does. */
  #unmet(flow: Flow, now: number): string | undefined {
    for (const req of flow.requires) {
      if (req.condition === "last_success") {
        const last = this.deps.store.lastEnded(req.flow);
        if (last?.status !== "succeeded") {
          return `requires ${req.flow}: its last run ${last ? last.status : "has not happened"}`;
        }
      } else {
        const last = this.deps.store.lastSucceeded(req.flow);
        if (!last || (last.endedAt ?? 0) < now - req.windowMs) {
          return `requires ${req.flow}: no successful run in the window`;
        }
      }
    }
    return undefined;
  }

  #onService(change: ServiceChange): void {
    if (this.#pool.closing) return;
    for (const flow of Object.values(this.#flows.flows)) {
      if (!flow.onService.some((t) => t.service === change.service && t.state === change.state)) {
        continue;
      }
      this.#trigger(flow, "service", `${change.service} ${change.state}`, {
        payload: { ...change },
      });
    }
    this.#pool.scheduleDispatch();
  }

  /** Flows chained on the flow of a run that ended. */
  #chain(record: RunRecord): void {
    if (!this.#follow) return;
    const status = record.status;
    for (const flow of Object.values(this.#flows.flows)) {
      for (const chain of flow.after) {
        if (chain.flow !== record.flow) continue;
        const matches = chain.on === "success"
          ? status === "succeeded"
          : chain.on === "failure"
          ? status === "failed"
          : status === "succeeded" || status === "failed";
        if (!matches) continue;
        this.#trigger(flow, "chain", `${record.flow} run ${record.id} ${status}`, {
          payload: { flow: record.flow, run: record.id, status },
        });
      }
    }
  }

  #emitRun(record: RunRecord, previous: RunStatus | undefined): void {
    this.deps.emit({
      type: "run",
      ts: this.deps.clock.now(),
      flow: record.flow,
      run: record.id,
      status: record.status,
      previous,
      trigger: record.trigger,
      reason: record.reason,
      failures: record.failures,
    });
  }

  // ---- control ---------------------------------------------------------------------------

  /** The next `count` schedule times of a flow. */
  upcoming(flow: string, count: number): number[] {
    this.#flow(flow);
    return this.#timer.upcoming(flow, count);
  }

  /** Cancels a run: running tasks are stopped (group signal, then kill), the rest cancelled. */
  cancel(id: number, reason = "cancelled"): RunRecord {
    return this.#pool.cancel(id, reason);
  }

  /** Resolves with the run once it has ended. */
  wait(id: number): Promise<RunRecord> {
    return this.#pool.wait(id);
  }

  /** Resolves when no run is running or queued. */
  idle(): Promise<void> {
    return this.#pool.idle();
  }

  /** Whether a flow (or, without one, the whole scheduler) is paused. */
  isPaused(flow?: string): boolean {
    return this.#allPaused || (flow !== undefined && this.#paused.has(flow));
  }

  /** Pauses one flow or all: no schedule, event, chain or service trigger starts a run. */
  pause(flow?: string): void {
    this.#setPaused(flow, true);
  }

  /** Resumes one flow or all. */
  resume(flow?: string): void {
    this.#setPaused(flow, false);
  }

  #setPaused(flow: string | undefined, paused: boolean): void {
    if (flow === undefined) {
      this.#allPaused = paused;
      return;
    }
    this.#flow(flow);
    if (paused) this.#paused.add(flow);
    else this.#paused.delete(flow);
    this.deps.store.setPaused(flow, paused);
  }

  /** The scheduler's state: executors, runs, and each flow. */
  status(): SchedulerStatus {
    return {
      paused: this.#allPaused,
      executors: { busy: this.#pool.busy, max: this.#pool.maxExecutors },
      running: this.#pool.runningCount,
      queued: this.#pool.queuedCount,
      flows: Object.values(this.#flows.flows).map((flow) => ({
        name: flow.name,
        schedules: flow.schedules.map((s) => s.expr),
        timezone: flow.timezone,
        events: flow.events,
        nextFire: this.#timer.nextFire(flow.name),
        paused: this.isPaused(flow.name),
        running: this.#pool.runningOf(flow),
        queued: this.#pool.queue(flow.name).length,
      })),
    };
  }

  /**
   * Stops: no new runs; running tasks are stopped (their stop signal, then SIGKILL) and their runs
   * marked interrupted, to be taken up by the next start (a clean stop uses no attempt).
   */
  stop(): Promise<void> {
    this.#timer.stop();
    this.#unsubscribe?.();
    this.#stopping ??= this.#pool.stop();
    return this.#stopping;
  }
}
