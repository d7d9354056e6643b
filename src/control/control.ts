/**
 * The one interface for driving a running stack. Two implementations: in this process, over the
 * engine, the log hub, the event bus and the config loader (`local.ts`), and over HTTP, a client of
 * another orch's control API (`http.ts`). The API handler serves the first; the CLI, the TUI
 * (local and attached) and the web dashboard use either without knowing which.
 *
 * Every method is asynchronous (the HTTP one is), and fails with the same OrchErrors whichever
 * implementation it is: NotFoundError (404), ConflictError (409), UsageError (400), ForbiddenError
 * (403), ConfigError (422).
 *
 * @module
 */
import type {
  InstanceStatus,
  LogQuery,
  LogRecord,
  OrchEvent,
  Plan,
  ServiceSummary,
} from "../domain/mod.ts";

/** What a running orch says about itself (`GET /v1/health`). */
export interface RunInfo {
  readonly stack: string;
  readonly version: string;
  readonly pid: number;
  /** ms since the epoch. */
  readonly startedAt: number;
  readonly phase: "running" | "stopping";
  /** The project directory (where `.orch/` lives). */
  readonly project: string;
  /** The stack files the run was started with (or last applied). */
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

/** The status of the whole stack at one moment (`GET /v1/status`, `orch status --json`). */
export interface StatusSnapshot extends RunInfo {
  /** When it was taken, by the orch's clock (ages are measured from it). */
  readonly now: number;
  /** One row per service, in the stack's order. */
  readonly services: ServiceSummary[];
  readonly instances: InstanceStatus[];
}

/** One service now (`GET /v1/services/{name}`): its summary (null without instances) and instances. */
export interface ServiceStatus {
  readonly service: ServiceSummary | null;
  readonly instances: InstanceStatus[];
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

/** The result of an apply: the plan carried out, and the services whose rollout failed (why). */
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

/** Items followed as they come, one by one or in batches (read it one way), until closed. */
export interface Stream<T> extends AsyncIterable<T> {
  /** The same items, as arrays of what has arrived: one await per batch under a flood. */
  batches(): AsyncIterable<readonly T[]>;
  /** Stops following; the iteration ends. */
  close(): void;
}

/**
 * Log records, oldest first: those kept that match (at most `tail`), then, when following, new
 * ones as they come, with no gap and no duplicate between the two. Read it one way: as records,
 * in batches, or as NDJSON bytes.
 */
export interface LogStream extends Stream<LogRecord> {
  /** The records as NDJSON bytes, whole lines (the form orch stores them in and the API sends). */
  ndjson(): AsyncIterable<Uint8Array>;
}

/** How to read logs. */
export interface LogOptions {
  /** At most this many of the records kept (the newest). */
  readonly tail?: number;
  /** After the kept records, follow new ones until closed. */
  readonly follow?: boolean;
  /**
   * Only records since then, as a person wrote it: a duration back from now (`10m`) or a time
   * (ISO 8601), by the clock of the orch that keeps them (a remote one's, over HTTP). Takes the
   * place of the query's `since`. @throws {UsageError} when it is neither.
   */
  readonly since?: string;
  /**
   * Who reads (`api`, `tui`), for the notice when a slow reader skips ahead; and how many records
   * may queue for it first. In this process only: over HTTP the serving orch decides.
   */
  readonly reader?: string;
  readonly capacity?: number;
}

/** Driving one running stack: what it runs, its logs and events, and the commands it takes. */
export interface Control {
  /** Where it points, for messages: the project's socket, a URL, or `this orch`. */
  readonly where: string;
  /** The run: stack, version, pid, phase, project, files, the persisted log's health. */
  info(): Promise<RunInfo>;
  /** The whole stack now; with `usage` (the default), CPU and memory of each instance. */
  status(options?: { readonly usage?: boolean }): Promise<StatusSnapshot>;
  /** The services of the stack, as configured. */
  services(): Promise<ServiceInfo[]>;
  /** One service now. @throws {NotFoundError} for no such service. */
  service(name: string): Promise<ServiceStatus>;
  /** Wants the service up; resolves once asked (it starts in dependency order). */
  start(service: string): Promise<void>;
  /** Stops the service (its dependents are left as they are); resolves once it has stopped. */
  stop(service: string): Promise<void>;
  /** Restarts; resolves once the old processes are gone and the new ones ready (or completed). */
  restart(service: string): Promise<void>;
  /** Sets the number of replicas; resolves once the change is done. */
  scale(service: string, replicas: number): Promise<void>;
  /** Writes a line to the service's stdin; resolves with how many instances got it. */
  send(service: string, text: string): Promise<number>;
  /**
   * Loads the stack from `source` and plans the change. Files must lie inside the project
   * directory (after symlinks): anything else is a ForbiddenError.
   */
  plan(source: StackSource): Promise<Plan>;
  /** Loads the stack from `source` and applies the change (rolling where asked for). */
  apply(source: StackSource): Promise<ApplyOutcome>;
  /**
   * Log records that match `query` (see {@link LogStream}). Resolves once what is kept has been
   * captured and, following, the subscription is made. @throws {NotFoundError} for a service
   * that does not exist.
   */
  logs(query: LogQuery, options?: LogOptions): Promise<LogStream>;
  /**
   * Events as they come, from the moment the promise resolves: nothing published after that is
   * missed (a reader that falls behind gets a `dropped` notice instead). Ends when orch stops.
   */
  events(): Promise<Stream<OrchEvent>>;
  /** Starts the ordered shutdown; `timeoutMs` replaces the stack's shutdown timeout. */
  shutdown(options?: { readonly timeoutMs?: number }): Promise<void>;
  /** Releases what this handle holds (connections); the stack is not affected. */
  close(): void;
}
