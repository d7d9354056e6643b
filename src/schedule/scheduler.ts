/**
 * The scheduler of flows: triggers (schedules on the injected clock, events with idempotency keys,
 * chains on other flows' runs, service state changes, manual runs) admitted by each flow's overlap
 * policy; runs driven through their DAG tables; waiting tasks given executors, pool slots and run
 * concurrency; history written through the store; recovery after a crash; a clean stop.
 *
 * @module
 */
import { ConflictError, NotFoundError } from "../domain/errors.ts";
import type { Flow, FlowSet, RunRecord, RunStatus, TriggerKind } from "../domain/flow.ts";
import { isRunEnded } from "../domain/flow.ts";
import { admit } from "./admission.ts";
import { FlowTimes, MAX_CATCH_UP } from "./cron.ts";
import { newRun, type RunOutcome } from "./dag.ts";
import type { SchedulerDeps, ServiceChange } from "./ports.ts";
import { recoverRuns } from "./recovery.ts";
import { ActiveRun, type RunHost } from "./run.ts";
import { allocate, type Candidate } from "./slots.ts";

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
}

/** Runs the flows of a project. */
export class Scheduler {
  readonly deps: SchedulerDeps;
  readonly #flows: FlowSet;
  readonly #maxExecutors: number;
  readonly #active = new Map<number, ActiveRun>();
  readonly #queues = new Map<string, RunRecord[]>();
  readonly #times = new Map<string, FlowTimes>();
  readonly #next = new Map<string, { at: number; expr: string } | undefined>();
  readonly #attempts = new Set<Promise<void>>();
  readonly #waiters = new Map<number, ((run: RunRecord) => void)[]>();
  readonly #idleWaiters: (() => void)[] = [];
  readonly #paused = new Set<string>();
  #busy = 0;
  readonly #poolUse = new Map<string, number>();
  #allPaused = false;
  #cancelTimer: (() => void) | undefined;
  #unsubscribe: (() => void) | undefined;
  #dispatchQueued = false;
  #closing = false;
  #stopping: Promise<void> | undefined;
  readonly #host: RunHost;

  constructor(flows: FlowSet, deps: SchedulerDeps) {
    this.#flows = flows;
    this.deps = deps;
    this.#host = {
      deps,
      ended: (run, outcome) => this.#ended(run, outcome),
      changed: () => this.#scheduleDispatch(),
      released: (run, task) => {
        this.#busy--;
        for (const [pool, n] of Object.entries(run.flow.tasks[task].slots)) {
          this.#poolUse.set(pool, (this.#poolUse.get(pool) ?? 0) - n);
        }
      },
      track: (attempt) => {
        this.#attempts.add(attempt);
        void attempt.finally(() => this.#attempts.delete(attempt));
      },
    };
    this.#maxExecutors = deps.maxExecutors ?? flows.maxExecutors ??
      (navigator.hardwareConcurrency || 1);
    for (const flow of Object.values(flows.flows)) {
      const times = new FlowTimes(flow);
      if (times.scheduled) this.#times.set(flow.name, times);
    }
  }

  /** The flows. */
  get flows(): FlowSet {
    return this.#flows;
  }

  #flow(name: string): Flow {
    if (!Object.hasOwn(this.#flows.flows, name)) {
      throw new NotFoundError(`no flow named ${JSON.stringify(name)}`);
    }
    return this.#flows.flows[name];
  }

  /** Recovers what an earlier orch left, catches up on missed schedules, and arms them. */
  start(options: StartOptions = {}): void {
    const { store } = this.deps;
    for (const flow of Object.keys(this.#flows.flows)) {
      if (store.flowMark(flow).paused) this.#paused.add(flow);
    }
    if (options.recover !== false) {
      recoverRuns(this.#host, this.#flows, {
        activate: (run) => this.#active.set(run.id, run),
        enqueue: (record) => this.#queue(record.flow).push(record),
        emitRun: (record, previous) => this.#emitRun(record, previous),
      });
      for (const flow of Object.keys(this.#flows.flows)) this.#drain(flow);
    }
    this.deps.services &&
      (this.#unsubscribe = this.deps.services.subscribe((c) => this.#onService(c)));
    if (options.schedules !== false) {
      this.#catchUp();
      this.#arm();
    }
    this.#scheduleDispatch();
  }

  // ---- triggers --------------------------------------------------------------------------

  /** Starts a manual run of `flow` (with a payload), subject to its overlap policy. */
  trigger(flow: string, options: TriggerOptions = {}): TriggerResult {
    return this.#trigger(this.#flow(flow), "manual", "", options);
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
    options: TriggerOptions & { scheduledFor?: number },
  ): TriggerResult {
    const { store, clock } = this.deps;
    if (this.#closing) throw new ConflictError(`cannot start ${flow.name}: orch is stopping`);
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
    const running = [...this.#active.values()].filter((r) => r.flow === flow).map((r) => r.id);
    const decision = admit(flow, running, this.#queue(flow.name).length, kind);
    if (decision.action === "skip") return skip(decision.reason);
    if (decision.action === "start") {
      const result = store.createRun({ ...base, status: "running", startedAt: now });
      if (result.created) this.#begin(flow, result.run, undefined);
      return result;
    }
    const result = store.createRun({ ...base, status: "queued" });
    if (!result.created) return result;
    this.#emitRun(result.run, undefined);
    if (decision.action === "replace") {
      // The newest replaces what waits as well as the oldest running run.
      const reason = `replaced by run ${result.run.id}`;
      for (const queued of [...this.#queue(flow.name)]) this.cancel(queued.id, reason);
      this.#queue(flow.name).push(result.run);
      this.#active.get(decision.victim)?.cancel(reason);
    } else {
      this.#queue(flow.name).push(result.run);
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

  #queue(flow: string): RunRecord[] {
    let queue = this.#queues.get(flow);
    if (!queue) this.#queues.set(flow, queue = []);
    return queue;
  }

  #begin(flow: Flow, record: RunRecord, previous: RunStatus | undefined): void {
    const run = new ActiveRun(this.#host, flow, record, newRun(flow));
    this.#active.set(record.id, run);
    this.#emitRun(record, previous);
    run.step({ type: "begin" });
  }

  /** Starts queued runs of `flow` while it has room. */
  #drain(flow: string): void {
    const queue = this.#queue(flow);
    const def = this.#flows.flows[flow];
    if (!def) return;
    while (queue.length > 0 && !this.#closing) {
      const running = [...this.#active.values()].filter((r) => r.flow === def).length;
      if (running >= def.maxActiveRuns) break;
      const record = queue.shift()!;
      const now = this.deps.clock.now();
      this.deps.store.updateRun(record.id, { status: "running", startedAt: now });
      this.#begin(def, { ...record, status: "running", startedAt: now }, record.status);
    }
  }

  #onService(change: ServiceChange): void {
    if (this.#closing) return;
    for (const flow of Object.values(this.#flows.flows)) {
      if (!flow.onService.some((t) => t.service === change.service && t.state === change.state)) {
        continue;
      }
      this.#trigger(flow, "service", `${change.service} ${change.state}`, {
        payload: { ...change },
      });
    }
    this.#scheduleDispatch();
  }

  // ---- schedules -------------------------------------------------------------------------

  #catchUp(): void {
    const { store, clock } = this.deps;
    const now = clock.now();
    for (const [name, times] of this.#times) {
      const flow = this.#flows.flows[name];
      const { lastTick } = store.flowMark(name);
      if (lastTick !== undefined && flow.catchUp.mode !== "none" && !this.isPaused(name)) {
        let missed = times.between(
          lastTick,
          now,
          flow.catchUp.mode === "latest" ? 1 : MAX_CATCH_UP,
        );
        const window = flow.catchUp.windowMs;
        if (window !== undefined) missed = missed.filter((m) => m.at >= now - window);
        for (const m of missed) {
          this.#trigger(flow, "catchup", m.schedule.expr, {
            payload: { scheduledFor: new Date(m.at).toISOString() },
            scheduledFor: m.at,
          });
        }
      }
      store.setLastTick(name, now);
    }
  }

  #arm(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    if (this.#closing) return;
    const now = this.deps.clock.now();
    let earliest: number | undefined;
    for (const [name, times] of this.#times) {
      if (!this.#next.has(name)) {
        const next = times.next(now);
        this.#next.set(name, next && { at: next.at, expr: next.schedule.expr });
      }
      const at = this.#next.get(name)?.at;
      if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at;
    }
    if (earliest !== undefined) {
      this.#cancelTimer = this.deps.clock.setTimer(earliest - now, () => this.#tick());
    }
  }

  #tick(): void {
    const now = this.deps.clock.now();
    for (const [name, times] of this.#times) {
      let due = this.#next.get(name);
      if (!due || due.at > now) continue;
      // A timer that fired late runs the latest time due once, not every time it passed.
      let following = times.next(due.at);
      while (following && following.at <= now) {
        due = { at: following.at, expr: following.schedule.expr };
        following = times.next(due.at);
      }
      this.#next.set(name, following && { at: following.at, expr: following.schedule.expr });
      this.deps.store.setLastTick(name, due.at);
      if (this.isPaused(name)) continue;
      this.#trigger(this.#flows.flows[name], "schedule", due.expr, {
        payload: { scheduledFor: new Date(due.at).toISOString() },
        scheduledFor: due.at,
      });
    }
    this.#arm();
  }

  /** The next `count` schedule times of a flow. */
  upcoming(flow: string, count: number): number[] {
    this.#flow(flow);
    return this.#times.get(flow)?.upcoming(this.deps.clock.now(), count) ?? [];
  }

  // ---- executors -------------------------------------------------------------------------

  #scheduleDispatch(): void {
    if (this.#dispatchQueued) return;
    this.#dispatchQueued = true;
    queueMicrotask(() => {
      this.#dispatchQueued = false;
      this.#dispatch();
    });
  }

  #dispatch(): void {
    if (this.#closing) return;
    const candidates: Candidate[] = [];
    const byKey = new Map<string, [ActiveRun, string]>();
    for (const run of [...this.#active.values()].sort((a, b) => a.id - b.id)) {
      for (const task of run.waiting()) {
        const def = run.flow.tasks[task];
        const key = `${run.id}#${task}`;
        byKey.set(key, [run, task]);
        candidates.push({ key, run: run.id, slots: def.slots, needs: def.needs });
      }
    }
    if (candidates.length === 0) return;
    const allocation = allocate(candidates, {
      maxExecutors: this.#maxExecutors,
      busy: this.#busy,
      pools: this.#flows.pools,
      poolUse: this.#poolUse,
      running: (id) => this.#active.get(id)?.runningCount ?? 0,
      runLimit: (id) => this.#active.get(id)?.flow.maxConcurrency ?? Infinity,
      service: (name) => this.deps.services?.state(name),
    });
    for (const [key, reason] of allocation.waiting) {
      const [run, task] = byKey.get(key)!;
      run.setWaitingFor(task, reason);
    }
    for (const c of allocation.start) {
      const [run, task] = byKey.get(c.key)!;
      this.#busy++;
      for (const [pool, n] of Object.entries(c.slots)) {
        this.#poolUse.set(pool, (this.#poolUse.get(pool) ?? 0) + n);
      }
      run.start(task);
    }
  }

  // ---- run ends --------------------------------------------------------------------------

  #ended(run: ActiveRun, outcome: RunOutcome): void {
    const { store, clock } = this.deps;
    const now = clock.now();
    const previous = run.record.status;
    const record: RunRecord = {
      ...run.record,
      status: outcome.status,
      endedAt: now,
      reason: outcome.reason,
      failures: outcome.failures,
    };
    run.record = record;
    store.updateRun(run.id, {
      status: record.status,
      endedAt: now,
      ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
      failures: outcome.failures,
    });
    this.#active.delete(run.id);
    this.#emitRun(record, previous);
    this.deps.logs.remove(store.prune(run.flow.name, run.flow.retention, now));
    for (const resolve of this.#waiters.get(run.id) ?? []) resolve(record);
    this.#waiters.delete(run.id);
    if (!this.#closing) this.#chain(record);
    this.#drain(run.flow.name);
    this.#checkIdle();
    this.#scheduleDispatch();
  }

  #chain(record: RunRecord): void {
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

  /** Cancels a run: running tasks are stopped (group signal, then kill), the rest cancelled. */
  cancel(id: number, reason = "cancelled"): RunRecord {
    const active = this.#active.get(id);
    if (active) {
      active.cancel(reason);
      return active.record;
    }
    for (const queue of this.#queues.values()) {
      const i = queue.findIndex((r) => r.id === id);
      if (i < 0) continue;
      const [record] = queue.splice(i, 1);
      const now = this.deps.clock.now();
      this.deps.store.updateRun(id, { status: "cancelled", endedAt: now, reason });
      const ended = { ...record, status: "cancelled" as const, endedAt: now, reason };
      this.#emitRun(ended, record.status);
      this.#checkIdle();
      return ended;
    }
    const stored = this.deps.store.run(id);
    if (!stored) throw new NotFoundError(`no run ${id}`);
    throw new ConflictError(`run ${id} has already ended (${stored.status})`);
  }

  /** Resolves with the run once it has ended. */
  wait(id: number): Promise<RunRecord> {
    const stored = this.deps.store.run(id);
    if (!stored) return Promise.reject(new NotFoundError(`no run ${id}`));
    if (isRunEnded(stored.status)) return Promise.resolve(stored);
    return new Promise((resolve) => {
      const list = this.#waiters.get(id) ?? [];
      list.push(resolve);
      this.#waiters.set(id, list);
    });
  }

  /** Resolves when no run is running or queued. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve);
      this.#checkIdle();
    });
  }

  #checkIdle(): void {
    if (this.#active.size > 0) return;
    for (const queue of this.#queues.values()) if (queue.length > 0) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
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
    const queued = [...this.#queues.values()].reduce((n, q) => n + q.length, 0);
    return {
      paused: this.#allPaused,
      executors: { busy: this.#busy, max: this.#maxExecutors },
      running: this.#active.size,
      queued,
      flows: Object.values(this.#flows.flows).map((flow) => ({
        name: flow.name,
        schedules: flow.schedules.map((s) => s.expr),
        timezone: flow.timezone,
        events: flow.events,
        nextFire: this.#next.get(flow.name)?.at,
        paused: this.isPaused(flow.name),
        running: [...this.#active.values()].filter((r) => r.flow === flow).map((r) => r.id),
        queued: this.#queue(flow.name).length,
      })),
    };
  }

  /**
   * Stops: no new runs; running tasks are stopped (their stop signal, then SIGKILL) and their runs
   * marked interrupted, to be taken up by the next start (a clean stop uses no attempt).
   */
  stop(): Promise<void> {
    this.#closing = true;
    this.#stopping ??= (async () => {
      this.#cancelTimer?.();
      this.#unsubscribe?.();
      for (const run of this.#active.values()) {
        run.interrupt(false, "orch is stopping");
        const interruptions = run.record.interruptions + 1;
        this.deps.store.updateRun(run.id, { status: "interrupted", interruptions });
        const previous = run.record.status;
        run.record = { ...run.record, status: "interrupted", interruptions };
        this.#emitRun(run.record, previous);
      }
      while (this.#attempts.size > 0) await Promise.allSettled([...this.#attempts]);
    })();
    return this.#stopping;
  }
}
