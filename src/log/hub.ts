/**
 * The log hub: every line becomes a record with a sequence number; records go to a bounded ring per
 * service (for the UI and API), to the persisted NDJSON file (nothing lost), to per-service plain-text
 * files, and to subscribers whose bounded queues skip ahead with a `dropped N lines` meta-record when
 * they fall behind. Nothing here ever blocks the pipe of a child.
 *
 * A service's output is taken a chunk at a time: the chunk's lines are found in its bytes
 * (split.ts), their NDJSON is built for the whole chunk at once (ndjson.ts) and written in large
 * batches, and the ring and the subscribers keep the chunk as one batch (batch.ts) whose records
 * are made only when somebody reads them.
 *
 * @module
 */
import {
  type Level,
  type LogFileProblem,
  type LogQuery,
  type LogRecord,
  matchesQuery,
} from "../domain/mod.ts";
import { type Batch, LineBatch, RecordBatch, type Source } from "./batch.ts";
import {
  type FileFailureListener,
  type FileHealth,
  RotatingFile,
  type RotatingFileOptions,
} from "./file_sink.ts";
import { Followers, type LogSubscription } from "./follow.ts";
import { detectLevel } from "./level.ts";
import { encodeBatch } from "./ndjson.ts";
import { readChunks } from "./reader.ts";
import { appendText } from "./text.ts";
import { BatchRing } from "./ring.ts";
import { type Lines, LineSplitter } from "./split.ts";
import { type Batches, type Chunks, ndjsonOf, parsed, readPersistedNdjson } from "./persisted.ts";

export type { LogSubscription, Slice } from "./follow.ts";

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

/** How a stream is read into the hub. */
export interface PumpOptions {
  readonly signal?: AbortSignal;
  /** Sees each line after it is recorded (a log probe). */
  readonly onLine?: (line: string) => void;
  /** Also gets each batch's NDJSON (a flow attempt's own file). */
  readonly alsoTo?: RotatingFile;
}

/** Collects, stores and fans out log records. */
export class LogHub {
  readonly #rings = new Map<string, BatchRing>();
  readonly #subscribers = new Followers();
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
    this.#store(new RecordBatch(record));
    return record;
  }

  /**
   * Reads one of a service's streams into the hub, a chunk at a time, until it ends or `signal`
   * aborts; `onLine` sees each line after it is recorded (the log probe).
   */
  pump(
    service: string,
    replica: number,
    stream: ReadableStream<Uint8Array>,
    name: "stdout" | "stderr",
    options: PumpOptions = {},
  ): Promise<void> {
    return this.pumpFrom({ service, replica, stream: name }, stream, options);
  }

  /** Reads a stream into the hub as the records of `source` (a flow task's carry run and task). */
  async pumpFrom(
    source: Source,
    stream: ReadableStream<Uint8Array>,
    options: PumpOptions = {},
  ): Promise<void> {
    const splitter = new LineSplitter();
    const take = (lines: Lines | undefined) => {
      if (!lines) return;
      const batch = new LineBatch(source, this.#now(), this.#seq + 1, lines);
      this.#seq += batch.count;
      this.#store(batch, options.alsoTo);
      if (options.onLine) { for (let i = 0; i < batch.count; i++) options.onLine(batch.msg(i)); }
    };
    await readChunks(stream, (chunk) => take(splitter.push(chunk)), { signal: options.signal });
    take(splitter.end());
  }

  /** Records a line of orch's own (stream `orch`) about a service, or about orch (`"orch"`). */
  note(service: string, replica: number, msg: string, level: Level = "info"): LogRecord {
    return this.append({ ts: this.#now(), seq: 0, service, replica, stream: "orch", level, msg });
  }

  /** Records a record (its `seq` is assigned here). */
  append(input: LogRecord): LogRecord {
    const record = { ...input, seq: ++this.#seq };
    this.#store(new RecordBatch(record));
    return record;
  }

  #store(batch: Batch, alsoTo?: RotatingFile): void {
    const service = batch.source.service;
    this.#firstTs ??= batch.ts;
    let ring = this.#rings.get(service);
    if (!ring) this.#rings.set(service, ring = new BatchRing(this.#ringSize));
    ring.push(batch);
    this.#persist(batch, alsoTo);
    const plain = this.#files.get(service);
    if (plain) writePlain(batch, plain);
    if (this.#lineListeners.size > 0) {
      for (let i = 0; i < batch.count; i++) {
        const record = batch.record(i);
        for (const listener of this.#lineListeners) listener(record);
      }
    }
    this.#subscribers.publish(batch);
  }

  /** The batch's NDJSON to the persisted log, and to `alsoTo` too. */
  #persist(batch: Batch, alsoTo: RotatingFile | undefined): void {
    const file = this.#ndjson ?? alsoTo;
    if (!file) return;
    const buffer = file.pending;
    const start = buffer.length;
    encodeBatch(batch, buffer);
    if (alsoTo && alsoTo !== file) {
      alsoTo.writeBytes(buffer.bytes.subarray(start, buffer.length), batch.count);
    }
    file.wrote(batch.count);
  }

  /** Synchronous listener for every record (log probes). Returns an unsubscribe function. */
  onRecord(listener: (record: LogRecord) => void): () => void {
    this.#lineListeners.add(listener);
    return () => this.#lineListeners.delete(listener);
  }

  /** The records kept in memory, oldest first, filtered; at most `tail` of them. */
  recent(filter?: LogFilter, tail?: number): LogRecord[] {
    const services = filter?.services?.length ? filter.services : [...this.#rings.keys()];
    const plain = !filter?.minLevel && filter?.since === undefined && filter?.run === undefined &&
      filter?.task === undefined;
    const all = services.flatMap((s) => {
      const ring = this.#rings.get(s);
      // Without a filter, only the last `tail` of each service can be among the last `tail`.
      return !ring ? [] : plain && tail !== undefined ? ring.last(tail) : ring.records();
    })
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
      filter: options.filter,
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

/** The batch's lines, as plain text, to a service's `logFile`. */
function writePlain(batch: Batch, file: RotatingFile): void {
  appendText(batch, file.pending);
  file.wrote(batch.count);
}
