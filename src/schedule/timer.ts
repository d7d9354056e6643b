/**
 * The schedules of every flow on one timer of the injected clock: armed for the earliest next
 * time, firing each flow whose time has come (a timer that fired late fires the latest time due
 * once), the last tick kept in the history; and the catch-up after downtime from that mark.
 *
 * @module
 */
import type { Flow } from "../domain/mod.ts";
import type { Clock } from "../engine/mod.ts";
import { FlowTimes, MAX_CATCH_UP } from "./cron.ts";
import type { RunStore } from "./ports.ts";

/** What the timer asks of the scheduler. */
export interface TimerHost {
  readonly clock: Clock;
  readonly store: RunStore;
  isPaused(flow: string): boolean;
  /** A schedule time of `flow` has come (`catchup`: it was missed while orch was down). */
  fire(flow: Flow, kind: "schedule" | "catchup", expr: string, at: number): void;
}

/** One timer for all schedules. */
export class ScheduleTimer {
  readonly #host: TimerHost;
  readonly #flows = new Map<string, { flow: Flow; times: FlowTimes }>();
  readonly #next = new Map<string, { at: number; expr: string } | undefined>();
  #cancel: (() => void) | undefined;
  #stopped = false;

  constructor(flows: Iterable<Flow>, host: TimerHost) {
    this.#host = host;
    for (const flow of flows) {
      const times = new FlowTimes(flow);
      if (times.scheduled) this.#flows.set(flow.name, { flow, times });
    }
  }

  /** Runs what was missed since each flow's last tick (by its catch-up mode), then arms. */
  start(): void {
    const { store, clock } = this.#host;
    const now = clock.now();
    for (const [name, { flow, times }] of this.#flows) {
      const { lastTick } = store.flowMark(name);
      if (lastTick !== undefined && flow.catchUp.mode !== "none" && !this.#host.isPaused(name)) {
        const limit = flow.catchUp.mode === "latest" ? 1 : MAX_CATCH_UP;
        let missed = times.between(lastTick, now, limit);
        const window = flow.catchUp.windowMs;
        if (window !== undefined) missed = missed.filter((m) => m.at >= now - window);
        for (const m of missed) this.#host.fire(flow, "catchup", m.schedule.expr, m.at);
      }
      store.setLastTick(name, now);
    }
    this.#arm();
  }

  /** Cancels the timer for good. */
  stop(): void {
    this.#stopped = true;
    this.#cancel?.();
    this.#cancel = undefined;
  }

  /** The next time a flow fires, if it has schedules and the timer runs. */
  nextFire(flow: string): number | undefined {
    return this.#next.get(flow)?.at;
  }

  /** The next `count` schedule times of a flow from now. */
  upcoming(flow: string, count: number): number[] {
    return this.#flows.get(flow)?.times.upcoming(this.#host.clock.now(), count) ?? [];
  }

  #arm(): void {
    this.#cancel?.();
    this.#cancel = undefined;
    if (this.#stopped) return;
    const now = this.#host.clock.now();
    let earliest: number | undefined;
    for (const [name, { times }] of this.#flows) {
      if (!this.#next.has(name)) {
        const next = times.next(now);
        this.#next.set(name, next && { at: next.at, expr: next.schedule.expr });
      }
      const at = this.#next.get(name)?.at;
      if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at;
    }
    if (earliest !== undefined) {
      this.#cancel = this.#host.clock.setTimer(earliest - now, () => this.#tick());
    }
  }

  #tick(): void {
    const now = this.#host.clock.now();
    for (const [name, { flow, times }] of this.#flows) {
      let due = this.#next.get(name);
      if (!due || due.at > now) continue;
      let following = times.next(due.at);
      while (following && following.at <= now) {
        due = { at: following.at, expr: following.schedule.expr };
        following = times.next(due.at);
      }
      this.#next.set(name, following && { at: following.at, expr: following.schedule.expr });
      this.#host.store.setLastTick(name, due.at);
      if (!this.#host.isPaused(name)) this.#host.fire(flow, "schedule", due.expr, due.at);
    }
    this.#arm();
  }
}
