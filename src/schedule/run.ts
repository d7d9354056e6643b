/**
 * One active run: its DAG table, and the effects of each step performed: task rows written to the
 * history, task events emitted, retry timers armed, attempts started and stopped. The scheduler
 * decides when a waiting task gets an executor; the run tells it when it changed or ended.
 *
 * @module
 */
import {
  type Flow,
  type FlowEvent,
  isTaskSettled,
  type RunRecord,
  type TaskRunRecord,
  type TaskState,
} from "../domain/mod.ts";
import {
  advance,
  type DagEffect,
  type DagEvent,
  type DagRun,
  outcomeOf,
  type RunOutcome,
  type TaskSlot,
  waitingTasks,
} from "./dag.ts";
import { runAttempt } from "./executor.ts";
import { runClusterAttempt } from "./remote.ts";
import type { SchedulerDeps } from "./ports.ts";

/** What a run needs from its scheduler. */
export interface RunHost {
  readonly deps: SchedulerDeps;
  /** Every task is settled. */
  ended(run: ActiveRun, outcome: RunOutcome): void;
  /** Something changed that may let a waiting task start. */
  changed(): void;
  /** An attempt of `task` ended: its executor and slots are free again. */
  released(run: ActiveRun, task: string): void;
  /** Tracks an attempt in flight until it ends. */
  track(attempt: Promise<void>): void;
}

/** A run being run. */
export class ActiveRun {
  record: RunRecord;
  readonly flow: Flow;
  #dag: DagRun;
  readonly #host: RunHost;
  readonly #running = new Map<string, AbortController>();
  readonly #timers = new Map<string, () => void>();
  readonly #waitingFor = new Map<string, string>();
  readonly #logPaths = new Map<string, string>();
  /** The run's directories, by who the tasks run as (`""`: orch's own user). */
  readonly #files = new Map<string, Promise<{ readonly dir: string; readonly payload: string }>>();
  #ended = false;

  constructor(host: RunHost, flow: Flow, record: RunRecord, dag: DagRun) {
    this.#host = host;
    this.flow = flow;
    this.record = record;
    this.#dag = dag;
  }

  get id(): number {
    return this.record.id;
  }

  /** The run's table as it is now. */
  get dag(): DagRun {
    return this.#dag;
  }

  /** Tasks that may start, in order. */
  waiting(): string[] {
    return this.#ended ? [] : waitingTasks(this.#dag);
  }

  /** How many of its tasks run now. */
  get runningCount(): number {
    return this.#running.size;
  }

  /** Applies one event; performs its effects; reports the end. */
  step(event: DagEvent): void {
    if (this.#ended) return;
    const now = this.#host.deps.clock.now();
    const { run, effects } = advance(this.flow, this.#dag, event, now);
    this.#dag = run;
    for (const effect of effects) this.#perform(effect, now);
    const outcome = outcomeOf(this.flow, run);
    if (outcome) {
      this.#ended = true;
      for (const cancel of this.#timers.values()) cancel();
      this.#timers.clear();
      this.#host.ended(this, outcome);
    } else {
      this.#host.changed();
    }
  }

  #perform(effect: DagEffect, now: number): void {
    switch (effect.kind) {
      case "row": {
        if (effect.slot.state !== "waiting") this.#waitingFor.delete(effect.task);
        this.#write(effect.task, effect.slot);
        this.#emitTask(effect.task, effect.slot, effect.previous, now);
        return;
      }
      case "timer": {
        this.#armRetry(effect.task, effect.at, now);
        return;
      }
      case "stop": {
        this.#running.get(effect.task)?.abort(effect.reason);
        return;
      }
    }
  }

  #armRetry(task: string, at: number, now: number): void {
    this.#timers.get(task)?.();
    this.#timers.set(
      task,
      this.#host.deps.clock.setTimer(Math.max(0, at - now), () => {
        this.#timers.delete(task);
        this.step({ type: "retryDue", task });
      }),
    );
  }

  /** Arms the retry timers of tasks restored in `retrying` (after a restart). */
  armRestoredRetries(): void {
    const now = this.#host.deps.clock.now();
    for (const [task, slot] of this.#dag.tasks) {
      if (slot.state === "retrying") this.#armRetry(task, slot.retryAt ?? now, now);
    }
  }

  #row(task: string, slot: TaskSlot): TaskRunRecord {
    return {
      runId: this.id,
      task,
      attempt: slot.attempt,
      state: slot.state,
      startedAt: slot.startedAt,
      endedAt: slot.endedAt,
      exit: slot.exit,
      error: slot.error,
      outputs: slot.outputs,
      waitingFor: slot.state === "waiting" ? this.#waitingFor.get(task) : undefined,
      retryAt: slot.state === "retrying" ? slot.retryAt : undefined,
      logPath: this.#logPaths.get(`${task}#${slot.attempt}`),
      freeAttempts: slot.free,
    };
  }

  #write(task: string, slot: TaskSlot): void {
    this.#host.deps.store.putTask(this.#row(task, slot));
  }

  #emitTask(task: string, slot: TaskSlot, previous: TaskState, now: number): void {
    const event: FlowEvent = {
      type: "task",
      ts: now,
      flow: this.flow.name,
      run: this.id,
      task,
      attempt: slot.attempt,
      state: slot.state,
      previous,
      ...(slot.exit ? { exit: slot.exit } : {}),
      ...(slot.error !== undefined && !isOk(slot.state) ? { error: slot.error } : {}),
      ...(slot.startedAt !== undefined && slot.endedAt !== undefined && previous === "running"
        ? { durationMs: slot.endedAt - slot.startedAt }
        : {}),
      ...(slot.state === "waiting" && this.#waitingFor.has(task)
        ? { waitingFor: this.#waitingFor.get(task)! }
        : {}),
      ...(slot.state === "retrying" && slot.retryAt !== undefined ? { retryAt: slot.retryAt } : {}),
    };
    this.#host.deps.emit(event);
  }

  /** Records what a waiting task waits for, when that changed. */
  setWaitingFor(task: string, reason: string): void {
    if (this.#waitingFor.get(task) === reason) return;
    this.#waitingFor.set(task, reason);
    const slot = this.#dag.tasks.get(task);
    if (!slot || slot.state !== "waiting") return;
    this.#write(task, slot);
    this.#emitTask(task, slot, "waiting", this.#host.deps.clock.now());
  }

  /** Starts an attempt of a waiting task (the scheduler has given it an executor). */
  start(task: string): void {
    const slot = this.#dag.tasks.get(task);
    if (!slot || slot.state !== "waiting") return;
    const ref = { flow: this.flow.name, run: this.id, task, attempt: slot.attempt };
    const log = this.#host.deps.logs.open(ref);
    if (log.path) this.#logPaths.set(`${task}#${slot.attempt}`, log.path);
    const controller = new AbortController();
    this.#running.set(task, controller);
    this.step({ type: "started", task });
    const outputs = new Map<string, Readonly<Record<string, string>>>();
    for (const [name, s] of this.#dag.tasks) {
      if (isTaskSettled(s.state)) outputs.set(name, s.outputs);
    }
    const deps = this.#host.deps;
    const run = this.flow.tasks[task].executor === "swarm" ? runClusterAttempt : runAttempt;
    const attempt = run({
      flow: this.flow,
      task: this.flow.tasks[task],
      run: this.id,
      attempt: slot.attempt,
      trigger: this.record.trigger,
      payload: this.record.payload,
      outputs,
    }, {
      runtimes: deps.runtimes,
      clock: deps.clock,
      workspace: deps.workspace,
      files: (owner) => {
        const key = owner ? `${owner.user ?? ""}:${owner.group ?? ""}` : "";
        let files = this.#files.get(key);
        if (!files) {
          files = deps.workspace.open(this.id, this.record.payload, owner);
          this.#files.set(key, files);
        }
        return files;
      },
      log,
      baseEnv: deps.baseEnv ?? {},
      stack: deps.stack,
      swarm: deps.swarm,
    }, controller.signal).then((result) => {
      this.#running.delete(task);
      this.#host.released(this, task);
      this.step({ type: "exited", task, result });
    });
    this.#host.track(attempt);
  }

  /** Cancels the run: running tasks are stopped, the rest cancelled. */
  cancel(reason: string): void {
    this.step({ type: "cancel", reason });
  }

  /**
   * orch stops: running tasks are stopped and become waiting again (a clean stop does not use an
   * attempt), retry timers are dropped (the next start arms them again).
   */
  interrupt(counted: boolean, reason: string): void {
    for (const cancel of this.#timers.values()) cancel();
    this.#timers.clear();
    const running = [...this.#running.values()];
    this.step({ type: "interrupt", counted });
    for (const controller of running) controller.abort(reason);
  }
}

function isOk(state: TaskState): boolean {
  return state === "succeeded" || state === "running" || state === "pending";
}
