/**
 * Which waiting tasks start now: at most `maxExecutors` task processes in the whole orch, at most
 * a flow's `maxConcurrency` per run, the slots of named pools, the services a task needs. Pure:
 * the scheduler passes what is in use and gets back what to start and, for every task left
 * waiting, what it waits for. Tasks are taken in order (oldest run first); one that cannot start
 * does not hold back those behind it that can.
 *
 * @module
 */
import type { ServiceState } from "./ports.ts";

/** A task that may start. */
export interface Candidate {
  /** Unique: `run#task`. */
  readonly key: string;
  readonly run: number;
  readonly slots: Readonly<Record<string, number>>;
  readonly needs: readonly string[];
}

/** What is free, and the limits. */
export interface Capacity {
  readonly maxExecutors: number;
  /** Task processes running now. */
  readonly busy: number;
  readonly pools: Readonly<Record<string, number>>;
  /** Slots of each pool in use now. */
  readonly poolUse: ReadonlyMap<string, number>;
  /** Tasks of a run running now, and its limit. */
  readonly running: (run: number) => number;
  readonly runLimit: (run: number) => number;
  readonly service: (name: string) => ServiceState | undefined;
}

/** What to start, and why the others wait. */
export interface Allocation {
  readonly start: readonly Candidate[];
  readonly waiting: ReadonlyMap<string, string>;
}

/** Decides which candidates start. */
export function allocate(candidates: readonly Candidate[], capacity: Capacity): Allocation {
  const start: Candidate[] = [];
  const waiting = new Map<string, string>();
  let busy = capacity.busy;
  const poolUse = new Map(capacity.poolUse);
  const perRun = new Map<number, number>();
  const size = (pool: string) => Object.hasOwn(capacity.pools, pool) ? capacity.pools[pool] : 0;
  for (const c of candidates) {
    const service = c.needs.map((n) => [n, capacity.service(n)] as const).find(([, s]) =>
      !s?.ready
    );
    if (service) {
      const [name, state] = service;
      waiting.set(c.key, `service ${name} to be ready (${state ? state.state : "not running"})`);
      continue;
    }
    const running = perRun.get(c.run) ?? capacity.running(c.run);
    const limit = capacity.runLimit(c.run);
    if (running >= limit) {
      waiting.set(c.key, `run concurrency (${running} of ${limit} running)`);
      continue;
    }
    const short = Object.entries(c.slots).find(([pool, n]) =>
      (poolUse.get(pool) ?? 0) + n > size(pool)
    );
    if (short) {
      const [pool, n] = short;
      waiting.set(
        c.key,
        `pool ${pool} (${poolUse.get(pool) ?? 0} of ${size(pool)} in use, needs ${n})`,
      );
      continue;
    }
    if (busy >= capacity.maxExecutors) {
      waiting.set(c.key, `an executor (${busy} of ${capacity.maxExecutors} busy)`);
      continue;
    }
    busy++;
    perRun.set(c.run, running + 1);
    for (const [pool, n] of Object.entries(c.slots)) {
      poolUse.set(pool, (poolUse.get(pool) ?? 0) + n);
    }
    start.push(c);
  }
  return { start, waiting };
}
