/**
 * Rows of the history database as records: columns to fields, JSON columns parsed (a damaged value
 * reads as empty rather than failing the whole query), NULL as undefined.
 *
 * @module
 */
import type { SQLInputValue } from "node:sqlite";
import type {
  RunRecord,
  RunStatus,
  TaskFailure,
  TaskRunRecord,
  TaskState,
  TriggerKind,
} from "../domain/mod.ts";

/** A row as node:sqlite returns it. */
export type Row = Record<string, SQLInputValue>;

function json<T>(text: unknown, fallback: T): T {
  if (typeof text !== "string") return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** A nullable number column. */
export const num = (v: SQLInputValue): number | undefined => (v === null ? undefined : Number(v));
/** A nullable text column. */
export const str = (v: SQLInputValue): string | undefined => (v === null ? undefined : String(v));

/** A `runs` row as a record. */
export function toRun(row: Row): RunRecord {
  return {
    id: Number(row.id),
    flow: String(row.flow),
    status: row.status as RunStatus,
    trigger: { kind: row.trigger_kind as TriggerKind, detail: String(row.trigger_detail) },
    payload: json(row.payload, {}),
    idempotencyKey: str(row.idempotency_key),
    scheduledFor: num(row.scheduled_for),
    queuedAt: Number(row.queued_at),
    startedAt: num(row.started_at),
    endedAt: num(row.ended_at),
    reason: str(row.reason),
    failures: json<TaskFailure[]>(row.failures, []),
    interruptions: Number(row.interruptions),
  };
}

/** A `task_runs` row as a record. */
export function toTask(row: Row): TaskRunRecord {
  const code = num(row.exit_code);
  const signal = str(row.exit_signal);
  return {
    runId: Number(row.run_id),
    task: String(row.task),
    attempt: Number(row.attempt),
    state: row.state as TaskState,
    startedAt: num(row.started_at),
    endedAt: num(row.ended_at),
    exit: code !== undefined || signal !== undefined
      ? { code: code ?? null, signal: signal ?? null }
      : undefined,
    error: str(row.error),
    outputs: json(row.outputs, {}),
    waitingFor: str(row.waiting_for),
    retryAt: num(row.retry_at),
    logPath: str(row.log_path),
    freeAttempts: Number(row.free_attempts),
  };
}
