/**
 * The runs being run and what they share: the executors (task processes at once in the whole
 * orch), the pools' slots, each flow's queue of runs waiting for room, and the attempts in flight.
 * A dispatch after every change gives waiting tasks what is free (`slots.ts` decides).
 *
 * @module
 */
import {
  ConflictError,
  EXEC_FLOW,
  type Flow,
  type FlowSet,
  isRunEnded,
  noSuchRun,
  type RunRecord,
  type RunStatus,
} from "../domain/mod.ts";
import { newRun, restoreRun, type RunOutcome } from "./dag.ts";
import type { SchedulerDeps } from "./ports.ts";
import { ActiveRun, type RunHost } from "./run.ts";
import { allocate, type Candidate } from "./slots.ts";

/** What the pool tells the scheduler. */
export interface PoolEvents {
  emitRun(record: RunRecord, previous: RunStatus | undefined): void;
  /** A run ended (after its record was written): chains follow from here. */
  ended(record: RunRecord): void;
}

/** The active and queued runs, and the executors. */
export class RunPool {
  readonly deps: SchedulerDeps;
  readonly maxExecutors: number;
  readonly host: RunHost;
  readonly #flows: FlowSet;
  readonly #events: PoolEvents;
  readonly #active = new Map<number, ActiveRun>();
  readonly #queues = new Map<string, RunRecord[]>();
  readonly #attempts = new Set<Promise<void>>();
  readonly #waiters = new Map<number, ((run: RunRecord) => void)[]>();
  readonly #idleWaiters: (() => void)[] = [];
  readonly #poolUse = new Map<string, number>();
  #busy = 0;
  #dispatchQueued = false;
  #closing = false;

  constructor(flows: FlowSet, deps: SchedulerDeps, events: PoolEvents) {
    this.#flows = flows;
    this.deps = deps;
    this.#events = events;
    this.maxExecutors = deps.maxExecutors ?? flows.maxExecutors ??
      (navigator.hardwareConcurrency || 1);
    this.host = {
      deps,
      ended: (run, outcome) => this.#ended(run, outcome),
      changed: () => this.scheduleDispatch(),
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
  }

  /** Whether the pool is stopping (no run starts any more). */
  get closing(): boolean {
    return this.#closing;
  }

  /** Task processes running now. */
  get busy(): number {
    return this.#busy;
  }

  /** How many runs run now. */
  get runningCount(): number {
    return this.#active.size;
  }

  /** How many runs wait in queues. */
  get queuedCount(): number {
    return [...this.#queues.values()].reduce((n, q) => n + q.length, 0);
  }

  /** Ids of a flow's running runs, oldest first. */
  runningOf(flow: Flow): number[] {
    return [...this.#active.values()].filter((r) => r.flow === flow).map((r) => r.id);
  }

  /** A flow's queue of runs waiting for room. */
  queue(flow: string): RunRecord[] {
    let queue = this.#queues.get(flow);
    if (!queue) this.#queues.set(flow, queue = []);
    return queue;
  }

  /** Adds a run recovered from the history. */
  activate(run: ActiveRun): void {
    this.#active.set(run.id, run);
  }

  /** Starts a run now. */
  begin(flow: Flow, record: RunRecord, previous: RunStatus | undefined): void {
    // A retry's rows hold the tasks it keeps from the run it retries.
    const dag = record.trigger.kind === "retry"
      ? restoreRun(flow, this.deps.store.tasks(record.id))
      : newRun(flow);
    const run = new ActiveRun(this.host, flow, record, dag);
    this.#active.set(record.id, run);
    this.#events.emitRun(record, previous);
    run.step({ type: "begin" });
  }

  /** Starts queued runs of `flow` while it has room. */
  drain(flow: string): void {
    const queue = this.queue(flow);
    if (!Object.hasOwn(this.#flows.flows, flow)) return;
    const def = this.#flows.flows[flow];
    while (queue.length > 0 && !this.#closing) {
      if (this.runningOf(def).length >= def.maxActiveRuns) break;
      const record = queue.shift()!;
      const now = this.deps.clock.now();
      this.deps.store.updateRun(record.id, { status: "running", startedAt: now });
      this.begin(def, { ...record, status: "running", startedAt: now }, record.status);
    }
  }

  /** Cancels a running or queued run; throws when it is unknown or has ended. */
  cancel(id: number, reason: string): RunRecord {
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
      this.#events.emitRun(ended, record.status);
      this.#resolve(ended);
      this.#checkIdle();
      return ended;
    }
    const stored = this.deps.store.run(id);
    if (!stored) throw noSuchRun(id);
    throw new ConflictError(`run ${id} has already ended (${stored.status})`);
  }

  /** Resolves with the run once it has ended. */
  wait(id: number): Promise<RunRecord> {
    const stored = this.deps.store.run(id);
    if (!stored) return Promise.reject(noSuchRun(id));
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
    if (this.#active.size > 0 || this.queuedCount > 0) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  #resolve(record: RunRecord): void {
    for (const resolve of this.#waiters.get(record.id) ?? []) resolve(record);
    this.#waiters.delete(record.id);
  }

  /** Dispatches once the current changes are done. */
  scheduleDispatch(): void {
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
      maxExecutors: this.maxExecutors,
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
    this.#events.emitRun(record, previous);
    this.deps.logs.remove(store.prune(run.flow.name, run.flow.retention, now));
    this.host.track(this.deps.workspace.remove(run.id));
    this.#resolve(record);
    if (!this.#closing) this.#events.ended(record);
    this.drain(run.flow.name);
    this.#checkIdle();
    this.scheduleDispatch();
  }

  /**
   * Stops: running tasks are stopped (their stop signal, then SIGKILL) and their runs marked
   * interrupted; resolves once every attempt has ended.
   */
  async stop(): Promise<void> {
    this.#closing = true;
    for (const run of this.#active.values()) {
      // A command run with orch exec is not taken up again: it ends now, cancelled.
      if (run.flow.name === EXEC_FLOW) {
        run.cancel("orch is stopping");
        continue;
      }
      run.interrupt(false, "orch is stopping");
      const interruptions = run.record.interruptions + 1;
      this.deps.store.updateRun(run.id, { status: "interrupted", interruptions });
      const previous = run.record.status;
      run.record = { ...run.record, status: "interrupted", interruptions };
      this.#events.emitRun(run.record, previous);
    }
    while (this.#attempts.size > 0) await Promise.allSettled([...this.#attempts]);
  }
}
