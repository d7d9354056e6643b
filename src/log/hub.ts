/**
 * The log hub: every line becomes a record with a sequence number; records go to a bounded ring per
 * service (for the UI and API), to the persisted NDJSON file (nothing lost), to per-service plain-text
 * files, and to subscribers whose bounded queues skip ahead with a `dropped N lines` meta-record when
 * they fall behind. Nothing here ever blocks the pipe of a child.
 *
 * @module
 */
import {
  type Level,
  type LogQuery,
  type LogRecord,
  matchesQuery,
  toNdjson,
} from "../domain/log.ts";
import { Broadcast, type Subscription } from "./channel.ts";
import {
  type FileFailureListener,
  type FileHealth,
  RotatingFile,
  type RotatingFileOptions,
} from "./file_sink.ts";
import type { LogFileProblem } from "../domain/state.ts";
import { detectLevel } from "./level.ts";
import { readLines } from "./lines.ts";
import { type Batches, type Chunks, ndjsonOf, parsed, readPersistedNdjson } from "./persisted.ts";

/** Options of the hub. */
export interface LogHubOptions {
  /** Lines kept in memory per service. */
  readonly ringSize?: number;
  /** Persist every record here as NDJSON (rotated). */
  readonly ndjsonPath?: string;
  readonly rotation?: RotatingFileOptions;
  readonly now?: () => number;
  /** Called when a subscriber skipped lines. */
  readonly onDropped?: (consumer: string, count: number) => void;
}

/** A filter for reading and following logs. */
export type LogFilter = LogQuery;

/** A bounded ring of records. */
class Ring {
  readonly #items: (LogRecord | undefined)[];
  #next = 0;
  #count = 0;
  constructor(size: number) {
    this.#items = new Array(size);
  }
  /** Whether older records have been pushed out. */
  evicted = false;
  push(record: LogRecord): void {
    if (this.#count === this.#items.length) this.evicted = true;
    this.#items[this.#next] = record;
    this.#next = (this.#next + 1) % this.#items.length;
    this.#count = Math.min(this.#count + 1, this.#items.length);
  }
  toArray(): LogRecord[] {
    const out: LogRecord[] = [];
    const start = (this.#next - this.#count + this.#items.length) % this.#items.length;
    for (let i = 0; i < this.#count; i++) {
      out.push(this.#items[(start + i) % this.#items.length]!);
    }
    return out;
  }
}

/** A subscription: an async iterator of records, closed with `close()`. */
export type LogSubscription = Subscription<LogRecord>;

/** Collects, stores and fans out log records. */
export class LogHub {
  readonly #rings = new Map<string, Ring>();
  readonly #subscribers = new Broadcast<LogRecord>();
  readonly #files = new Map<string, RotatingFile>();
  readonly #ndjson: RotatingFile | undefined;
  readonly #ndjsonPath: string | undefined;
  readonly #keep: number;
  readonly #ringSize: number;
  readonly #now: () => number;
  readonly #onDropped: ((consumer: string, count: number) => void) | undefined;
  readonly #lineListeners = new Set<(record: LogRecord) => void>();
  #seq = 0;
  /** The time of this hub's first record: anything older is only in the files. */
  #firstTs: number | undefined;

  constructor(options: LogHubOptions = {}) {
    this.#ringSize = options.ringSize ?? 5000;
    this.#now = options.now ?? Date.now;
    this.#onDropped = options.onDropped;
    this.#ndjsonPath = options.ndjsonPath;
    this.#keep = options.rotation?.keep ?? 4;
    this.#ndjson = options.ndjsonPath
      ? new RotatingFile(
        options.ndjsonPath,
        options.rotation ?? { maxBytes: 64 << 20, keep: 4 },
        this.#failureNotes(options.ndjsonPath),
      )
      : undefined;
  }

  /** Notes, in the log itself, when writing a file starts failing and when it resumes. */
  #failureNotes(path: string): FileFailureListener {
    return {
      failing: (error) =>
        this.note(
          "orch",
          0,
          `writing the log to ${path} is failing (${error.message}): records are being lost ` +
            `until it succeeds again; the services keep running`,
          "error",
        ),
      resumed: (lost) =>
        this.note(
          "orch",
          0,
          `writing the log to ${path} resumed: ${lost} record(s) were lost while it failed`,
          "warn",
        ),
    };
  }

  /**
   * Whether the persisted NDJSON log is being written, and how many records it lost (for status
   * and metrics); undefined when the hub persists nothing.
   */
  persistence(): FileHealth | undefined {
    return this.#ndjson?.health;
  }

  /** The last sequence number given out. */
  get seq(): number {
    return this.#seq;
  }

  /**
   * Also writes `service`'s lines, as plain text, to `path` (its `logFile`), opened now: when it
   * cannot be opened or written, the service's own log says so (and again when it resumes), and
   * {@link logFileProblem} tells the status.
   */
  addPlainFile(service: string, path: string): void {
    if (this.#files.has(service)) return;
    const file = new RotatingFile(path, { maxBytes: 64 << 20, keep: 4 }, {
      failing: (error) =>
        this.note(
          service,
          0,
          `writing the logFile ${path} is failing (${error.message}): the lines are kept in ` +
            `orch's log, not copied there, until it succeeds again; the service keeps running`,
          "error",
        ),
      resumed: (lost) =>
        this.note(
          service,
          0,
          `writing the logFile ${path} resumed: ${lost} line(s) were not copied while it failed`,
          "warn",
        ),
    });
    this.#files.set(service, file);
    file.open();
  }

  /** Why writing `service`'s `logFile` fails now; undefined when it does not (or it has none). */
  logFileProblem(service: string): LogFileProblem | undefined {
    const health = this.#files.get(service)?.health;
    if (!health?.failing) return undefined;
    return { path: health.path, error: health.error ?? "", lostRecords: health.lostRecords };
  }

  /** Records one line a service wrote. */
  line(service: string, replica: number, stream: "stdout" | "stderr", msg: string): LogRecord {
    const record: LogRecord = {
      ts: this.#now(),
      seq: ++this.#seq,
      service,
      replica,
      stream,
      level: detectLevel(msg),
      msg,
    };
    this.#store(record);
    return record;
  }

  /**
   * Reads one of a service's streams into the hub, line by line ({@link readLines}), until it ends
   * or `signal` aborts; `onLine` sees each line after it is recorded (the log probe).
   */
  pump(
    service: string,
    replica: number,
    stream: ReadableStream<Uint8Array>,
    name: "stdout" | "stderr",
    options: { readonly signal?: AbortSignal; readonly onLine?: (line: string) => void } = {},
  ): Promise<void> {
    const onLine = options.onLine;
    return readLines(stream, (line) => {
      this.line(service, replica, name, line);
      onLine?.(line);
    }, { signal: options.signal });
  }

  /** Records a line of orch's own (stream `orch`) about a service, or about orch (`"orch"`). */
  note(service: string, replica: number, msg: string, level: Level = "info"): LogRecord {
    return this.append({ ts: this.#now(), seq: 0, service, replica, stream: "orch", level, msg });
  }

  /** Records a record (its `seq` is assigned here). */
  append(input: LogRecord): LogRecord {
    const record = { ...input, seq: ++this.#seq };
    this.#store(record);
    return record;
  }

  #store(record: LogRecord): void {
    this.#firstTs ??= record.ts;
    let ring = this.#rings.get(record.service);
    if (!ring) this.#rings.set(record.service, ring = new Ring(this.#ringSize));
    ring.push(record);
    this.#ndjson?.writeLine(toNdjson(record));
    this.#files.get(record.service)?.writeLine(record.msg);
    if (this.#lineListeners.size > 0) {
      for (const listener of this.#lineListeners) {
        listener(record);
      }
    }
    this.#subscribers.publish(record);
  }

  /** Synchronous listener for every record (log probes). Returns an unsubscribe function. */
  onRecord(listener: (record: LogRecord) => void): () => void {
    this.#lineListeners.add(listener);
    return () => this.#lineListeners.delete(listener);
  }

  /** The records kept in memory, oldest first, filtered; at most `tail` of them. */
  recent(filter?: LogFilter, tail?: number): LogRecord[] {
    const services = filter?.services?.length ? filter.services : [...this.#rings.keys()];
    const all = services.flatMap((s) => this.#rings.get(s)?.toArray() ?? [])
      .filter((r) => matchesQuery(r, filter))
      .sort((a, b) => a.seq - b.seq);
    return tail === undefined ? all : all.slice(Math.max(0, all.length - tail));
  }

  /**
   * Records for a query, oldest first, at most `tail`, as NDJSON bytes (the form they are stored
   * in): from memory when the rings still hold all that is asked for, else from the persisted
   * NDJSON (rotated generations included), read with bounded memory. What is kept is captured
   * now: later records are not part of the answer.
   */
  queryNdjson(filter: LogFilter = {}, tail?: number): Chunks {
    const kept = this.recent(filter, tail);
    const names = filter.services?.length ? filter.services : [...this.#rings.keys()];
    const evicted = names.some((n) => this.#rings.get(n)?.evicted);
    // Records older than this hub are only in the files (an earlier run wrote them).
    const older = filter.since !== undefined &&
      (this.#firstTs === undefined || filter.since < this.#firstTs);
    const enough = tail !== undefined && kept.length >= tail;
    const reachesSince = filter.since !== undefined && kept.length > 0 &&
      kept[0].ts <= filter.since;
    if ((!evicted && !older) || enough || reachesSince || !this.#ndjsonPath) return ndjsonOf(kept);
    this.flush();
    const files = Array.from(
      { length: this.#keep },
      (_, i) => `${this.#ndjsonPath}.${this.#keep - i}`,
    ).concat(this.#ndjsonPath);
    return readPersistedNdjson(files, filter, tail);
  }

  /** {@link queryNdjson} as records. */
  query(filter: LogFilter = {}, tail?: number): Batches<LogRecord> {
    return parsed(this.queryNdjson(filter, tail));
  }

  /** Follows new records through a bounded queue. */
  subscribe(
    name: string,
    options: { filter?: LogFilter; capacity?: number } = {},
  ): LogSubscription {
    return this.#subscribers.subscribe({
      capacity: options.capacity ?? 10_000,
      accept: (record) => matchesQuery(record, options.filter),
      dropped: (count, next) => {
        this.#onDropped?.(name, count);
        return {
          ts: this.#now(),
          seq: next ? next.seq - 1 : this.#seq,
          service: next?.service ?? "orch",
          replica: next?.replica ?? 0,
          stream: "orch",
          level: "warn",
          msg: `dropped ${count} lines`,
        };
      },
    });
  }

  /** Flushes every file. */
  flush(): void {
    this.#ndjson?.flush();
    for (const file of this.#files.values()) file.flush();
  }

  /** Flushes and closes files and subscriptions. */
  close(): void {
    this.#subscribers.close();
    this.#ndjson?.close();
    for (const file of this.#files.values()) file.close();
  }
}
