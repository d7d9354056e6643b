/**
 * Taking up what an earlier orch left in the history, as Petit does: a run still marked running
 * (orch was killed) is marked interrupted, its running tasks become interrupted and are re-queued
 * when their retry policy allows another attempt, failed otherwise; a run a clean stop marked
 * interrupted resumes as it was (that stop used no attempt); queued runs queue again; runs of a
 * flow that is no longer defined fail.
 *
 * @module
 */
import { EXEC_FLOW, type FlowSet, type RunRecord, type RunStatus } from "../domain/mod.ts";
import { restoreRun } from "./dag.ts";
import { ActiveRun, type RunHost } from "./run.ts";

/** Where recovered runs go. */
export interface RecoveryHooks {
  activate(run: ActiveRun): void;
  enqueue(record: RunRecord): void;
  emitRun(record: RunRecord, previous: RunStatus | undefined): void;
}

/** Recovers every run the history has not seen end. */
export function recoverRuns(host: RunHost, flows: FlowSet, hooks: RecoveryHooks): void {
  const { store, clock } = host.deps;
  for (const record of store.activeRuns()) {
    const now = clock.now();
    if (!Object.hasOwn(flows.flows, record.flow)) {
      const reason = record.flow === EXEC_FLOW
        ? "orch stopped while the command ran (an orch exec run is not taken up again)"
        : `the flow ${record.flow} is no longer defined`;
      store.updateRun(record.id, { status: "failed", endedAt: now, reason });
      hooks.emitRun({ ...record, status: "failed", endedAt: now, reason }, record.status);
      continue;
    }
    if (record.status === "queued") {
      hooks.enqueue(record);
      continue;
    }
    const flow = flows.flows[record.flow];
    const crashed = record.status === "running";
    let current = record;
    if (crashed) {
      const interruptions = record.interruptions + 1;
      store.updateRun(record.id, { status: "interrupted", interruptions });
      current = { ...record, status: "interrupted", interruptions };
      hooks.emitRun(current, record.status);
    }
    const run = new ActiveRun(host, flow, current, restoreRun(flow, store.tasks(record.id)));
    hooks.activate(run);
    store.updateRun(record.id, { status: "running" });
    run.record = { ...current, status: "running" };
    hooks.emitRun(run.record, "interrupted");
    run.armRestoredRetries();
    run.step({ type: "interrupt", counted: crashed });
  }
}
