/**
 * The flows' part of `/metrics`: runs by flow and status, task durations, the queue, the
 * executors in use and each flow's schedule lag.
 *
 * @module
 */
import type { SchedulerState } from "../control/mod.ts";
import { type EventCounters, label } from "./metrics.ts";

/** Renders the flows' metric families (after the services'). */
export function renderFlowMetrics(
  stack: string,
  state: SchedulerState,
  counters?: EventCounters,
): string {
  const out: string[] = [];
  const s = `stack="${label(stack)}"`;
  const family = (name: string, type: string, help: string, rows: [string, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of rows) out.push(`${name}{${labels}} ${value}`);
  };
  family(
    "orch_flow_runs",
    "gauge",
    "Runs in the history, by flow and status.",
    state.counts.map((c) => [`${s},flow="${label(c.flow)}",status="${c.status}"`, c.count]),
  );
  family("orch_flow_runs_queued", "gauge", "Runs waiting to start.", [[s, state.queued]]);
  family("orch_flow_runs_running", "gauge", "Runs running.", [[s, state.running]]);
  family("orch_flow_executors_busy", "gauge", "Executors running a task.", [[
    s,
    state.executors.busy,
  ]]);
  family("orch_flow_executors_max", "gauge", "Executors in all.", [[s, state.executors.max]]);
  family("orch_flow_paused", "gauge", "1 while the whole scheduler is paused.", [[
    s,
    state.paused ? 1 : 0,
  ]]);
  family(
    "orch_flow_schedule_lag_seconds",
    "gauge",
    "How late the flow's newest scheduled run started after its schedule time.",
    Object.entries(state.lagMs).map(([flow, ms]) => [`${s},flow="${label(flow)}"`, ms / 1000]),
  );
  if (counters) {
    const tasks = counters.taskDurations();
    const labels = (t: { flow: string; task: string }) =>
      `${s},flow="${label(t.flow)}",task="${label(t.task)}"`;
    out.push(
      "# HELP orch_flow_task_duration_seconds Time of the flow tasks' attempts that ended.",
      "# TYPE orch_flow_task_duration_seconds summary",
    );
    for (const t of tasks) {
      out.push(`orch_flow_task_duration_seconds_sum{${labels(t)}} ${t.seconds}`);
      out.push(`orch_flow_task_duration_seconds_count{${labels(t)}} ${t.count}`);
    }
  }
  return out.join("\n") + "\n";
}
