/**
 * The TUI's flows: which view is shown (Services, Flows, Runs, Run), the flows, runs and the run
 * open in the Run view as last read through the control interface, the selected rows, and the
 * selected task's output. Pure data and pure functions; the app fills it in.
 *
 * @module
 */
import { type FlowSummary, latestAttempts, type RunDetail } from "../control/mod.ts";
import type { RunRecord, TaskRunRecord } from "../domain/mod.ts";

/** The views the TUI switches between. */
export type View = "services" | "flows" | "runs" | "run";

/** The views in the order the keys 1 to 4 name them. */
export const VIEWS: readonly View[] = ["services", "flows", "runs", "run"];

/** What the flows views show. */
export interface FlowsState {
  readonly flows: readonly FlowSummary[];
  /** The runs of the Runs view: all flows', or `runsOf`'s. */
  readonly runs: readonly RunRecord[];
  readonly runsOf?: string;
  /** The id of the run the Run view shows (the newest run when unset). */
  readonly openRun?: number;
  /** The run of the Run view, as last read. */
  readonly run?: RunDetail;
  /** The selected task's output in the Run view (cleaned lines). */
  readonly taskLog: readonly string[];
  readonly selFlow: number;
  readonly selRun: number;
  readonly selTask: number;
  /** Set when actions cannot be carried out (a database read with no orch): why. */
  readonly readOnly?: string;
  /** The whole scheduler is paused. */
  readonly schedulerPaused?: boolean;
  /** The flow a payload is being typed for (mode `payload`). */
  readonly payloadFor?: string;
}

/** Flows state at the start. */
export function initialFlows(readOnly?: string): FlowsState {
  return {
    flows: [],
    runs: [],
    taskLog: [],
    selFlow: 0,
    selRun: 0,
    selTask: 0,
    ...(readOnly ? { readOnly } : {}),
  };
}

const clamp = (i: number, n: number) => Math.max(0, Math.min(Math.max(0, n - 1), i));

/** The flow under the cursor in the Flows view. */
export function selectedFlow(s: FlowsState): FlowSummary | undefined {
  return s.flows[clamp(s.selFlow, s.flows.length)];
}

/** The run under the cursor in the Runs view. */
export function selectedRun(s: FlowsState): RunRecord | undefined {
  return s.runs[clamp(s.selRun, s.runs.length)];
}

/** The latest attempt of each task of the open run, in the graph's order. */
export function runTasks(detail: RunDetail | undefined): TaskRunRecord[] {
  return detail ? latestAttempts(detail) : [];
}

/** The task under the cursor in the Run view. */
export function selectedTask(s: FlowsState): TaskRunRecord | undefined {
  const tasks = runTasks(s.run);
  return tasks[clamp(s.selTask, tasks.length)];
}

/**
 * The graph's layers: each task at the length of its longest path from a task with no upstream
 * (a cycle, which the loader refuses anyway, cannot hang it).
 */
export function layers(
  graph: readonly { readonly name: string; readonly upstream: readonly { task: string }[] }[],
): string[][] {
  const byName = new Map(graph.map((t) => [t.name, t]));
  const depth = new Map<string, number>();
  const visit = (name: string, seen: Set<string>): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0;
    seen.add(name);
    const ups = byName.get(name)?.upstream ?? [];
    const d = ups.length === 0 ? 0 : 1 + Math.max(...ups.map((u) => visit(u.task, seen)));
    depth.set(name, d);
    return d;
  };
  for (const t of graph) visit(t.name, new Set());
  const out: string[][] = [];
  for (const t of graph) (out[depth.get(t.name)!] ??= []).push(t.name);
  return out.filter(Boolean);
}
