/**
 * The scheduler's ports: what it needs from the history, the log sink, the runtimes (the service
 * engine's own), the clock and the stack's services. Declared here by their user; the SQLite store
 * (`src/store/`), the log adapter (`src/log/flow_logs.ts`) and the CLI's wiring implement them.
 *
 * @module
 */
import type {
  ClusterHandle,
  ClusterTask,
  FlowEvent,
  InstanceState,
  Level,
  NewRun,
  Retention,
  RunPatch,
  RunRecord,
  RuntimeKind,
  TaskRunRecord,
} from "../domain/mod.ts";
import type { Clock, Runtime } from "../engine/mod.ts";

/** The part of the history the scheduler writes and reads (`HistoryStore` in `src/store/`). */
export interface RunStore {
  createRun(run: NewRun): { run: RunRecord; created: boolean };
  updateRun(id: number, patch: RunPatch): void;
  putTask(row: TaskRunRecord): void;
  activeRuns(): RunRecord[];
  run(id: number): RunRecord | undefined;
  runByKey(flow: string, key: string): RunRecord | undefined;
  tasks(runId: number): TaskRunRecord[];
  lastEnded(flow: string): RunRecord | undefined;
  lastSucceeded(flow: string): RunRecord | undefined;
  flowMark(flow: string): { readonly lastTick: number | undefined; readonly paused: boolean };
  setLastTick(flow: string, tick: number): void;
  setPaused(flow: string, paused: boolean): void;
  prune(flow: string, retention: Retention, now: number): string[];
}

/** Which task attempt a log belongs to. */
export interface TaskRef {
  readonly flow: string;
  readonly run: number;
  readonly task: string;
  readonly attempt: number;
}

/** Where one task attempt's output goes: the log hub (run id and task on every record) and a file. */
export interface TaskLog {
  /** The file that keeps this attempt's lines, recorded in the history. */
  readonly path: string | undefined;
  /** Reads one of the task's streams to its end, line by line. */
  pump(stream: ReadableStream<Uint8Array>, name: "stdout" | "stderr"): Promise<void>;
  /** A line of orch's own about the attempt (why it was stopped, a docker pull). */
  note(msg: string, level?: Level): void;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

/** Opens task logs, and removes the files of runs that retention pruned. */
export interface TaskLogs {
  open(ref: TaskRef): TaskLog;
  remove(paths: readonly string[]): void;
}

/** A service of the stack as tasks and triggers see it. */
export interface ServiceState {
  readonly state: InstanceState;
  /** Whether a task that `needs` it may start: a replica is ready, or a oneshot completed. */
  readonly ready: boolean;
}

/** A service that changed state. */
export interface ServiceChange {
  readonly service: string;
  readonly state: InstanceState;
  readonly previous: InstanceState;
  readonly message: string;
}

/** The stack's services, read-only. */
export interface ServiceView {
  state(service: string): ServiceState | undefined;
  /** Calls `listener` on every change of a service's state; returns the unsubscribe function. */
  subscribe(listener: (change: ServiceChange) => void): () => void;
}

/** Who a task process runs as, when its flow says (`user`, `group`). */
export interface TaskOwner {
  readonly user: string | undefined;
  readonly group: string | undefined;
}

/** A run's directory: the payload its tasks read and the outputs files they write. */
export interface Workspace {
  /**
   * Makes the run's directory (again, after a restart) with its `payload.json`. With `owner`, a
   * directory that user can reach (orch's own is private to orch's user): one of its own, removed
   * with the run's.
   */
  open(
    run: number,
    payload: unknown,
    owner?: TaskOwner,
  ): Promise<{ readonly dir: string; readonly payload: string }>;
  /** Reads an attempt's outputs file (empty when the task wrote none), and removes it. */
  outputs(path: string): Promise<string>;
  /** Removes the run's directory once the run has ended. */
  remove(run: number): Promise<void>;
}

export type { ClusterHandle, ClusterTask } from "../domain/mod.ts";

/** Runs task attempts as jobs on a cluster: the executor `swarm` (`src/runtime/docker/`). */
export interface ClusterRunner {
  /** `onNote` gets what happens on the cluster (the node it runs on, why it waits). */
  start(
    task: ClusterTask,
    options: { readonly signal: AbortSignal; readonly onNote: (line: string) => void },
  ): Promise<ClusterHandle>;
}

/** Everything the scheduler uses. */
export interface SchedulerDeps {
  readonly store: RunStore;
  readonly runtimes: Partial<Record<RuntimeKind, Runtime>>;
  readonly clock: Clock;
  readonly logs: TaskLogs;
  readonly workspace: Workspace;
  readonly emit: (event: FlowEvent) => void;
  /** The stack's services; without it, tasks with `needs` wait for ever. */
  readonly services?: ServiceView;
  /** Runs the tasks with `executor: swarm`; without it, their attempts fail saying so. */
  readonly swarm?: ClusterRunner;
  /** The environment task processes inherit (not containers). */
  readonly baseEnv?: Readonly<Record<string, string>>;
  /** The stack's name, in `ORCH_STACK`. */
  readonly stack: string;
  /** Tasks at once in the whole orch (`--max-executors`; default the flows' setting, then cores). */
  readonly maxExecutors?: number;
}
