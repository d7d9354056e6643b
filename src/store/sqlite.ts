/**
 * The history in SQLite through node:sqlite: WAL journal (a reader never blocks the writer, and a
 * SIGKILL loses no committed write), `synchronous = NORMAL`, foreign keys on, a busy timeout for
 * readers in other processes. Statements are prepared once; each call is one short statement or
 * transaction.
 *
 * @module
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import {
  OrchError,
  type Retention,
  type RunRecord,
  type RunStatus,
  type TaskRunRecord,
} from "../domain/mod.ts";
import { num, type Row, toRun, toTask } from "./rows.ts";
import type {
  FlowMark,
  HistoryStore,
  NewRun,
  Owner,
  RunCount,
  RunPage,
  RunPatch,
  RunQuery,
} from "./history.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "./migrations.ts";

const ENDED: readonly RunStatus[] = ["succeeded", "failed", "cancelled", "skipped"];
const PRUNE_BATCH = 500;

/** Options of {@link SqliteHistory}. */
export interface SqliteHistoryOptions {
  /** Open for reading only (no migration; another orch writes). */
  readonly readOnly?: boolean;
}

/** The history in one SQLite file. */
export class SqliteHistory implements HistoryStore {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  /**
   * Opens (or creates) the database at `path` and brings its schema up to date.
   *
   * @throws {OrchError} when the file cannot be opened or was written by a newer orch.
   */
  constructor(path: string, options: SqliteHistoryOptions = {}) {
    this.path = path;
    try {
      if (!options.readOnly) {
        Deno.mkdirSync(path.slice(0, Math.max(1, path.lastIndexOf("/"))), { recursive: true });
      }
      this.#db = new DatabaseSync(path, { readOnly: options.readOnly ?? false });
      this.#db.exec("PRAGMA busy_timeout = 5000");
      if (!options.readOnly) {
        this.#db.exec("PRAGMA journal_mode = WAL");
        this.#db.exec("PRAGMA synchronous = NORMAL");
      }
      this.#db.exec("PRAGMA foreign_keys = ON");
    } catch (error) {
      throw new OrchError(`cannot open the history database ${path}: ${(error as Error).message}`);
    }
    const version = Number(this.#get("PRAGMA user_version")?.user_version ?? 0);
    if (version > SCHEMA_VERSION) {
      this.#db.close();
      throw new OrchError(
        `the history database ${path} has schema version ${version}; this orch reads up to ` +
          `${SCHEMA_VERSION} (it was written by a newer orch)`,
      );
    }
    if (!options.readOnly) this.#migrate(version);
  }

  #migrate(from: number): void {
    for (const migration of MIGRATIONS) {
      if (migration.version <= from) continue;
      this.#transaction(() => {
        this.#db.exec(migration.sql);
        this.#db.exec(`PRAGMA user_version = ${migration.version}`);
      });
    }
  }

  #stmt(sql: string): StatementSync {
    let s = this.#statements.get(sql);
    if (!s) this.#statements.set(sql, s = this.#db.prepare(sql));
    return s;
  }

  #get(sql: string, ...params: SQLInputValue[]): Row | undefined {
    return this.#stmt(sql).get(...params) as Row | undefined;
  }

  #all(sql: string, ...params: SQLInputValue[]): Row[] {
    return this.#stmt(sql).all(...params) as Row[];
  }

  #transaction<T>(fn: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const out = fn();
      this.#db.exec("COMMIT");
      return out;
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  createRun(run: NewRun): { run: RunRecord; created: boolean } {
    return this.#transaction(() => {
      const inserted = this.#get(
        `INSERT INTO runs (flow, status, trigger_kind, trigger_detail, payload, idempotency_key,
           scheduled_for, queued_at, started_at, ended_at, reason)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING RETURNING *`,
        run.flow,
        run.status,
        run.trigger.kind,
        run.trigger.detail,
        JSON.stringify(run.payload ?? {}),
        run.idempotencyKey ?? null,
        run.scheduledFor ?? null,
        run.queuedAt,
        run.startedAt ?? null,
        run.endedAt ?? null,
        run.reason ?? null,
      );
      if (!inserted) {
        const existing = this.#get(
          "SELECT * FROM runs WHERE flow = ? AND idempotency_key = ?",
          run.flow,
          run.idempotencyKey ?? null,
        );
        if (!existing) throw new OrchError(`cannot record a run of ${run.flow}`);
        return { run: toRun(existing), created: false };
      }
      const record = toRun(inserted);
      if (run.status !== "skipped") {
        const insert = this.#stmt(
          "INSERT INTO task_runs (run_id, task, attempt, state) VALUES (?, ?, 1, 'pending')",
        );
        for (const task of run.tasks) insert.run(record.id, task);
      }
      return { run: record, created: true };
    });
  }

  updateRun(id: number, patch: RunPatch): void {
    const sets: string[] = [];
    const values: SQLInputValue[] = [];
    const add = (column: string, value: SQLInputValue) => {
      sets.push(`${column} = ?`);
      values.push(value);
    };
    if (patch.status !== undefined) add("status", patch.status);
    if (patch.startedAt !== undefined) add("started_at", patch.startedAt);
    if (patch.endedAt !== undefined) add("ended_at", patch.endedAt);
    if (patch.reason !== undefined) add("reason", patch.reason);
    if (patch.failures !== undefined) add("failures", JSON.stringify(patch.failures));
    if (patch.interruptions !== undefined) add("interruptions", patch.interruptions);
    if (sets.length === 0) return;
    this.#stmt(`UPDATE runs SET ${sets.join(", ")} WHERE id = ?`).run(...values, id);
  }

  putTask(row: TaskRunRecord): void {
    this.#stmt(
      `INSERT OR REPLACE INTO task_runs (run_id, task, attempt, state, started_at, ended_at,
         exit_code, exit_signal, error, outputs, waiting_for, retry_at, log_path, free_attempts)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      row.runId,
      row.task,
      row.attempt,
      row.state,
      row.startedAt ?? null,
      row.endedAt ?? null,
      row.exit?.code ?? null,
      row.exit?.signal ?? null,
      row.error ?? null,
      JSON.stringify(row.outputs),
      row.waitingFor ?? null,
      row.retryAt ?? null,
      row.logPath ?? null,
      row.freeAttempts,
    );
  }

  runByKey(flow: string, key: string): RunRecord | undefined {
    const row = this.#get("SELECT * FROM runs WHERE flow = ? AND idempotency_key = ?", flow, key);
    return row ? toRun(row) : undefined;
  }

  activeRuns(): RunRecord[] {
    return this.#all(
      `SELECT * FROM runs WHERE status IN ('queued', 'running', 'interrupted') ORDER BY id`,
    ).map(toRun);
  }

  lastEnded(flow: string): RunRecord | undefined {
    const row = this.#get(
      `SELECT * FROM runs WHERE flow = ? AND status IN ('succeeded', 'failed', 'cancelled')
       ORDER BY id DESC LIMIT 1`,
      flow,
    );
    return row ? toRun(row) : undefined;
  }

  lastSucceeded(flow: string): RunRecord | undefined {
    const row = this.#get(
      "SELECT * FROM runs WHERE flow = ? AND status = 'succeeded' ORDER BY id DESC LIMIT 1",
      flow,
    );
    return row ? toRun(row) : undefined;
  }

  flowMark(flow: string): FlowMark {
    const row = this.#get("SELECT last_tick, paused FROM flows WHERE name = ?", flow);
    return { lastTick: row ? num(row.last_tick) : undefined, paused: Number(row?.paused) === 1 };
  }

  setLastTick(flow: string, tick: number): void {
    this.#stmt(
      `INSERT INTO flows (name, last_tick) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET last_tick = excluded.last_tick`,
    ).run(flow, tick);
  }

  setPaused(flow: string, paused: boolean): void {
    this.#stmt(
      `INSERT INTO flows (name, paused) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET paused = excluded.paused`,
    ).run(flow, paused ? 1 : 0);
  }

  prune(flow: string, retention: Retention, now: number): string[] {
    if (retention.days === undefined && retention.count === undefined) return [];
    const logs: string[] = [];
    const ended = ENDED.map((s) => `'${s}'`).join(", ");
    for (;;) {
      const ids: number[] = [];
      if (retention.count !== undefined) {
        ids.push(
          ...this.#all(
            `SELECT id FROM runs WHERE flow = ? AND status IN (${ended})
             ORDER BY id DESC LIMIT ? OFFSET ?`,
            flow,
            PRUNE_BATCH,
            retention.count,
          ).map((r) => Number(r.id)),
        );
      }
      if (retention.days !== undefined && ids.length < PRUNE_BATCH) {
        const cutoff = now - retention.days * 86_400_000;
        ids.push(
          ...this.#all(
            `SELECT id FROM runs WHERE flow = ? AND status IN (${ended})
             AND coalesce(ended_at, queued_at) < ? ORDER BY id LIMIT ?`,
            flow,
            cutoff,
            PRUNE_BATCH,
          ).map((r) => Number(r.id)),
        );
      }
      const unique = [...new Set(ids)];
      if (unique.length === 0) return logs;
      this.#transaction(() => {
        for (const id of unique) {
          for (const row of this.#all("SELECT log_path FROM task_runs WHERE run_id = ?", id)) {
            if (row.log_path !== null) logs.push(String(row.log_path));
          }
          this.#stmt("DELETE FROM runs WHERE id = ?").run(id);
        }
      });
    }
  }

  runs(query: RunQuery = {}): RunPage {
    const where: string[] = [];
    const values: SQLInputValue[] = [];
    if (query.flow !== undefined) {
      where.push("flow = ?");
      values.push(query.flow);
    }
    if (query.status && query.status.length > 0) {
      where.push(`status IN (${query.status.map(() => "?").join(", ")})`);
      values.push(...query.status);
    }
    if (query.since !== undefined) {
      where.push("queued_at >= ?");
      values.push(query.since);
    }
    if (query.until !== undefined) {
      where.push("queued_at < ?");
      values.push(query.until);
    }
    if (query.before !== undefined) {
      where.push("id < ?");
      values.push(query.before);
    }
    const limit = Math.max(1, Math.min(1000, Math.floor(query.limit ?? 50)));
    const rows = this.#all(
      `SELECT * FROM runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
       ORDER BY id DESC LIMIT ?`,
      ...values,
      limit + 1,
    );
    const runs = rows.slice(0, limit).map(toRun);
    return { runs, next: rows.length > limit ? runs[runs.length - 1].id : undefined };
  }

  run(id: number): RunRecord | undefined {
    const row = this.#get("SELECT * FROM runs WHERE id = ?", id);
    return row ? toRun(row) : undefined;
  }

  tasks(runId: number): TaskRunRecord[] {
    return this.#all("SELECT * FROM task_runs WHERE run_id = ? ORDER BY task, attempt", runId)
      .map(toTask);
  }

  taskRun(runId: number, task: string, attempt?: number): TaskRunRecord | undefined {
    const row = attempt === undefined
      ? this.#get(
        "SELECT * FROM task_runs WHERE run_id = ? AND task = ? ORDER BY attempt DESC LIMIT 1",
        runId,
        task,
      )
      : this.#get(
        "SELECT * FROM task_runs WHERE run_id = ? AND task = ? AND attempt = ?",
        runId,
        task,
        attempt,
      );
    return row ? toTask(row) : undefined;
  }

  counts(): RunCount[] {
    return this.#all("SELECT flow, status, count(*) AS n FROM runs GROUP BY flow, status").map((
      r,
    ) => ({ flow: String(r.flow), status: r.status as RunStatus, count: Number(r.n) }));
  }

  claim(owner: Owner, alive: (other: Owner) => boolean): Owner | undefined {
    return this.#transaction(() => {
      const row = this.#get("SELECT pid, proc_start, since FROM owner WHERE id = 1");
      if (row) {
        const current = {
          pid: Number(row.pid),
          procStart: num(row.proc_start),
          since: Number(row.since),
        };
        if (current.pid !== owner.pid && alive(current)) return current;
      }
      this.#stmt(
        "INSERT OR REPLACE INTO owner (id, pid, proc_start, since) VALUES (1, ?, ?, ?)",
      ).run(owner.pid, owner.procStart ?? null, owner.since);
      return undefined;
    });
  }

  release(pid: number): void {
    this.#stmt("DELETE FROM owner WHERE id = 1 AND pid = ?").run(pid);
  }

  integrityCheck(): string[] {
    return this.#all("PRAGMA integrity_check").map((r) => String(r.integrity_check));
  }

  close(): void {
    this.#statements.clear();
    if (this.#db.isOpen) this.#db.close();
  }
}
