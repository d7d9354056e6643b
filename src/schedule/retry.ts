/**
 * Retrying an ended run from a task: which task rows the new run keeps. The task and what follows
 * it (or, with `only`, the task alone) run again; every other task keeps its latest attempt as it
 * ended, outputs included. Pure.
 *
 * @module
 */
import type { Flow, TaskRunRecord } from "../domain/mod.ts";

/** The tasks that run again when retrying from `from`. */
export function retried(flow: Flow, from: string, only = false): Set<string> {
  const again = new Set([from]);
  for (let grew = !only; grew;) {
    grew = false;
    for (const task of Object.values(flow.tasks)) {
      if (!again.has(task.name) && task.upstream.some((e) => again.has(e.task))) {
        again.add(task.name);
        grew = true;
      }
    }
  }
  return again;
}

/** The latest rows of the tasks a retry from `from` keeps. */
export function keptByRetry(
  flow: Flow,
  rows: readonly TaskRunRecord[],
  from: string,
  only = false,
): TaskRunRecord[] {
  const again = retried(flow, from, only);
  const kept = new Map<string, TaskRunRecord>();
  for (const row of rows) {
    if (again.has(row.task) || !Object.hasOwn(flow.tasks, row.task)) continue;
    const current = kept.get(row.task);
    if (!current || current.attempt < row.attempt) kept.set(row.task, row);
  }
  return [...kept.values()];
}
