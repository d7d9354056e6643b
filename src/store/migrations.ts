/**
 * The history database's schema, as numbered migrations. `PRAGMA user_version` holds the version
 * a database is at; opening it applies the missing migrations in order, each in one transaction.
 *
 * The indexes serve the queries the API makes: runs of a flow newest first (`runs_by_flow`), by
 * status (`runs_by_flow_status`, `runs_by_status`, which also finds the active runs at start),
 * by time (`runs_by_time`); one run's tasks are the primary key of `task_runs`.
 *
 * @module
 */

/** One schema step. */
export interface Migration {
  readonly version: number;
  readonly sql: string;
}

/** Every migration, in order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
CREATE TABLE flows (
  name TEXT PRIMARY KEY,
  last_tick INTEGER,
  paused INTEGER NOT NULL DEFAULT 0
) STRICT;

-- The orch that runs the scheduler on this database (one at a time).
CREATE TABLE owner (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  pid INTEGER NOT NULL,
  proc_start INTEGER,
  since INTEGER NOT NULL
) STRICT;

CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  flow TEXT NOT NULL,
  status TEXT NOT NULL,
  trigger_kind TEXT NOT NULL,
  trigger_detail TEXT NOT NULL DEFAULT '',
  payload TEXT NOT NULL DEFAULT '{}',
  idempotency_key TEXT,
  scheduled_for INTEGER,
  queued_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  reason TEXT,
  failures TEXT NOT NULL DEFAULT '[]',
  interruptions INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX runs_by_flow ON runs (flow, id DESC);
CREATE INDEX runs_by_flow_status ON runs (flow, status, id DESC);
CREATE INDEX runs_by_status ON runs (status, id DESC);
CREATE INDEX runs_by_time ON runs (queued_at);
CREATE UNIQUE INDEX runs_by_idempotency_key ON runs (flow, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

CREATE TABLE task_runs (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  task TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  state TEXT NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  exit_code INTEGER,
  exit_signal TEXT,
  error TEXT,
  outputs TEXT NOT NULL DEFAULT '{}',
  waiting_for TEXT,
  retry_at INTEGER,
  log_path TEXT,
  free_attempts INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, task, attempt)
) STRICT, WITHOUT ROWID;
`,
  },
];

/** The schema version this orch writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
