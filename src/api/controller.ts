/**
 * The control API's port: what a running orch offers, in domain terms. The CLI wires it to the
 * engine, the log hub and the config loader; the handler turns HTTP into calls on it.
 *
 * @module
 */
import type { LogQuery, LogRecord } from "../domain/log.ts";
import type { Plan } from "../domain/plan.ts";
import type { EngineEvent, InstanceStatus } from "../domain/state.ts";

/** What `GET /v1/health` says about the running orch. */
export interface RunInfo {
  readonly stack: string;
  readonly version: string;
  readonly pid: number;
  /** ms since the epoch. */
  readonly startedAt: number;
  readonly phase: "running" | "stopping";
  /** The project directory (where `.orch/` lives). */
  readonly project: string;
  /** The stack files the run was started with. */
  readonly files: readonly string[];
  /** Whether the persisted log is being written, and how many records it lost. */
  readonly logs?: LogPersistence;
}

/** The state of the persisted log (a full disk makes it fail; it resumes when it can). */
export interface LogPersistence {
  readonly path: string;
  readonly failing: boolean;
  readonly lostRecords: number;
  readonly error?: string;
}

/** One service as `GET /v1/services` lists it. */
export interface ServiceInfo {
  readonly name: string;
  readonly kind: string;
  readonly runtime: string;
  readonly replicas: number;
  readonly enabled: boolean;
  readonly dependsOn: readonly string[];
  /** Each dependency with what it waits for (`ready`, `completed`, ...). */
  readonly dependencies: readonly { readonly target: string; readonly condition: string }[];
}

/** The result of an apply. */
export interface ApplyOutcome {
  readonly plan: Plan;
  readonly failed: Readonly<Record<string, string>>;
}

/** A stack file's content, sent with an apply; `name` is its path relative to the project. */
export interface StackDocument {
  readonly name: string;
  readonly content: string;
}

/**
 * What an apply loads: documents sent with the request, files inside the project directory, or
 * (neither) the files the run was started with.
 */
export type StackSource =
  | { readonly documents: readonly StackDocument[] }
  | { readonly files: readonly string[] }
  | Record<never, never>;

/**
 * Records, oldest first, as chunks of NDJSON bytes (whole lines, the form orch stores and the API
 * returns); `close()` releases what the reading holds (open files).
 */
export interface LogBatches extends AsyncIterable<Uint8Array> {
  close(): void;
}

/** A stream that is followed: items one by one or in batches, until closed. */
export interface Followed<T> extends AsyncIterable<T> {
  batches(): AsyncIterable<readonly T[]>;
  close(): void;
}

/** Everything the API can ask of a running stack. Errors are OrchErrors (404, 409, 400, 422). */
export interface Controller {
  info(): RunInfo;
  status(options: { usage?: boolean }): InstanceStatus[];
  services(): ServiceInfo[];
  start(service: string): void;
  /** Resolves once the service's instances have stopped. */
  stop(service: string): Promise<void>;
  /** Resolves once the restart is done: the old processes gone, the new ones ready (or completed). */
  restart(service: string): Promise<void>;
  scale(service: string, replicas: number): Promise<void>;
  /** Writes a line to the service's stdin; returns how many instances got it. */
  send(service: string, text: string): Promise<number>;
  /**
   * Loads the stack from `source` and plans, or applies, the change. Files must lie inside the
   * project directory (after symlinks): anything else is a ForbiddenError.
   */
  plan(source: StackSource): Promise<Plan>;
  apply(source: StackSource): Promise<ApplyOutcome>;
  /**
   * Records, oldest first, at most `tail`: from memory, or the persisted log for older ones, read
   * with bounded memory. What is kept is captured when this is called.
   */
  logs(query: LogQuery, tail?: number): LogBatches;
  /** New records as they come (bounded: a slow reader skips ahead with a notice). */
  followLogs(query: LogQuery): Followed<LogRecord>;
  events(): Followed<EngineEvent>;
  /** Starts the ordered shutdown (a timeout replaces the stack's shutdown timeout). */
  shutdown(timeoutMs?: number): void;
}
