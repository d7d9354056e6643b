/**
 * What the in-process control needs from the running parts, declared by their user: the service
 * engine, the log store, the event feed and the stack loader. The composition root (`src/cli/`)
 * hands in the real ones (the Engine, the LogHub, the event bus, the config loader confined to
 * the project); tests may hand in others.
 *
 * @module
 */
import type { InstanceStatus, LogQuery, LogRecord, OrchEvent, Plan, Stack } from "../domain/mod.ts";
import type { ApplyOutcome, LogPersistence, StackSource, Stream } from "./control.ts";

/** The service engine, as control drives it (`src/engine`'s Engine is one). */
export interface ServiceEngine {
  /** The stack it runs now. */
  readonly stack: Stack;
  /** Whether the ordered shutdown has begun. */
  readonly stopping: boolean;
  status(options?: { usage?: boolean }): InstanceStatus[];
  startService(name: string): void;
  stopService(name: string): void;
  /** Resolves once the service's instances are settled (after a stop: stopped). */
  settledService(name: string): Promise<void>;
  restart(name: string): Promise<void>;
  scale(name: string, replicas: number): Promise<void>;
  send(name: string, text: string): Promise<number>;
  plan(next: Stack): Plan;
  apply(next: Stack): Promise<ApplyOutcome>;
}

/** NDJSON bytes (whole lines), oldest first; `close()` releases what the reading holds. */
export interface NdjsonChunks extends AsyncIterable<Uint8Array> {
  close(): void;
}

/** The log store: records kept (in memory and on disk) and new ones (`src/log`'s LogHub is one). */
export interface LogStore {
  /**
   * The records that match, at most the last `tail`, as NDJSON: what is kept is captured when
   * this is called (later records are not part of it).
   */
  queryNdjson(query: LogQuery, tail?: number): NdjsonChunks;
  /** New records that match, from now on, through a bounded queue named `reader`. */
  subscribe(reader: string, options: { filter?: LogQuery; capacity?: number }): Stream<LogRecord>;
  /** Whether the persisted log is being written (undefined when nothing is persisted). */
  persistence(): LogPersistence | undefined;
}

/** Where events come from (the event bus of the composition root). */
export interface EventFeed {
  /** Events from now on, through a bounded queue (a reader that falls behind is told). */
  subscribe(): Stream<OrchEvent>;
}

/** A stack loaded for a plan or an apply, and the files it came from. */
export interface LoadedStack {
  readonly stack: Stack;
  readonly files: readonly string[];
}

/**
 * Loads the stack an apply asks for: `runFiles` are the run's files (what an empty source
 * means).
 */
export type StackLoader = (
  source: StackSource,
  runFiles: readonly string[],
) => Promise<LoadedStack>;
