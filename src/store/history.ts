/**
 * The run history behind an interface: what the scheduler writes (runs, task attempts, schedule
 * marks) and what the API, the CLI and the TUI read (runs by flow, status and time, paginated; one
 * run with its tasks; where a task attempt's log lines are). The SQLite adapter is `sqlite.ts`.
 *
 * Every method is synchronous and short: the adapter is node:sqlite, which blocks.
 *
 * @module
 */
import type {
  NewRun,
  Retention,
  RunPatch,
  RunRecord,
  RunStatus,
  TaskRunRecord,
} from "../domain/mod.ts";

export type { NewRun, RunPatch };

/** Which runs to list, newest first. */
export interface RunQuery {
  readonly flow?: string;
  /** Only runs in one of these statuses. */
  readonly status?: readonly RunStatus[];
  /** Only runs queued at or after this time. */
  readonly since?: number;
  /** Only runs queued before this time. */
  readonly until?: number;
  /** The page after the one that returned this cursor (runs with a smaller id). */
  readonly before?: number;
  /** Page size; default 50, at most 1000. */
  readonly limit?: number;
}

/** One page of runs, and the cursor of the next page when there is one. */
export interface RunPage {
  readonly runs: readonly RunRecord[];
  readonly next: number | undefined;
}

/** What the history keeps per flow besides its runs. */
export interface FlowMark {
  /** The last schedule time handled (fired, skipped or caught up). */
  readonly lastTick: number | undefined;
  readonly paused: boolean;
}

/** The process that runs the scheduler on a database. */
export interface Owner {
  readonly pid: number;
  /** The process's start time (as /proc says), so that a reused pid is not taken for it. */
  readonly procStart: number | undefined;
  readonly since: number;
}

/** Runs per flow and status, for metrics. */
export interface RunCount {
  readonly flow: string;
  readonly status: RunStatus;
  readonly count: number;
}

/** The history: the scheduler's writes and every reader's queries. */
export interface HistoryStore {
  /**
   * Records a run and its tasks' first rows. With an idempotency key already used by a run of the
   * same flow, records nothing and returns that run with `created: false`.
   */
  createRun(run: NewRun): { run: RunRecord; created: boolean };
  updateRun(id: number, patch: RunPatch): void;
  /** Writes one task attempt's row (inserted, or replaced by run, task and attempt). */
  putTask(row: TaskRunRecord): void;
  /** The run of `flow` recorded with idempotency key `key`. */
  runByKey(flow: string, key: string): RunRecord | undefined;
  /** Runs not ended: queued, running or interrupted, oldest first. */
  activeRuns(): RunRecord[];
  /** The most recent run of `flow` that ended (succeeded, failed or cancelled). */
  lastEnded(flow: string): RunRecord | undefined;
  /** The most recent successful run of `flow`. */
  lastSucceeded(flow: string): RunRecord | undefined;
  flowMark(flow: string): FlowMark;
  setLastTick(flow: string, tick: number): void;
  setPaused(flow: string, paused: boolean): void;
  /**
   * Deletes ended runs of `flow` beyond its retention (older than `days`, beyond the newest
   * `count`), with their task rows; returns the log files of what it deleted.
   */
  prune(flow: string, retention: Retention, now: number): string[];

  runs(query?: RunQuery): RunPage;
  run(id: number): RunRecord | undefined;
  /** Every attempt of every task of a run, in task then attempt order. */
  tasks(runId: number): TaskRunRecord[];
  /** One attempt of a task (the latest when `attempt` is absent). */
  taskRun(runId: number, task: string, attempt?: number): TaskRunRecord | undefined;
  counts(): RunCount[];
  /**
   * Makes `owner` the scheduler of this database, unless the recorded owner is another process
   * that `alive` says still runs: then returns that owner and changes nothing.
   */
  claim(owner: Owner, alive: (other: Owner) => boolean): Owner | undefined;
  /** Gives the database up, if `pid` owns it. */
  release(pid: number): void;
  /** `PRAGMA integrity_check`: `["ok"]` when sound. */
  integrityCheck(): string[];
  close(): void;
}
