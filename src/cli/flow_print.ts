/**
 * How the flows' commands print: the flows table, the runs table, one run with its tasks, the
 * scheduler's state. Names and messages are sanitized (no escape sequence reaches the terminal).
 *
 * @module
 */
import {
  type FlowSummary,
  latestAttempts,
  type RunDetail,
  type SchedulerState,
} from "../control/mod.ts";
import { formatAge, formatDuration, type RunRecord, sanitize } from "../domain/mod.ts";
import type { Style } from "./style.ts";

/** A status word's colour. */
function colorOf(style: Style, status: string): (t: string) => string {
  if (status === "succeeded") return style.green;
  if (status === "failed" || status === "cancelled") return style.red;
  if (["running", "queued", "waiting", "retrying", "interrupted"].includes(status)) {
    return style.yellow;
  }
  return (t) => t;
}

/** A table: columns padded, the last not; the column `colored` coloured by its value. */
function table(header: string[], rows: string[][], style: Style, colored: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[], paint: boolean) =>
    cells.map((c, i) => {
      const padded = i === cells.length - 1 ? c : c.padEnd(widths[i]);
      return paint && i === colored ? colorOf(style, c)(padded) : padded;
    }).join("  ").trimEnd();
  return [style.bold(line(header, false)), ...rows.map((r) => line(r, true))].join("\n") + "\n";
}

/** A time as `2026-12-01 13:05:00` (UTC), or `-`. */
export function when(ms: number | undefined): string {
  return ms === undefined ? "-" : new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

/** How long something took (or has been going). */
function took(start: number | undefined, end: number | undefined, now: number): string {
  return start === undefined ? "-" : formatDuration((end ?? now) - start);
}

/** The marks of recent statuses, oldest first: `✓✓✗`. */
export function marks(recent: readonly string[]): string {
  const mark = (s: string) =>
    s === "succeeded"
      ? "✓"
      : s === "failed"
      ? "✗"
      : s === "cancelled"
      ? "⊘"
      : s === "skipped"
      ? "-"
      : "•";
  return [...recent].reverse().map(mark).join("");
}

/** `orch flows`. */
export function flowsTable(flows: readonly FlowSummary[], now: number, style: Style): string {
  const rows = flows.map((f) => [
    sanitize(f.name),
    sanitize(f.schedules.join(", ") || (f.events.length ? `on ${f.events.join(", ")}` : "-")),
    // A paused flow fires at no time; one past its time is being started.
    f.paused || f.nextRuns[0] === undefined
      ? "-"
      : f.nextRuns[0] <= now
      ? "now"
      : `in ${formatAge(f.nextRuns[0] - now)}`,
    f.lastRun ? f.lastRun.status : "-",
    marks(f.recent) || "-",
    f.paused ? "paused" : f.running.length ? `running ${f.running.join(",")}` : "",
  ]);
  return table(["FLOW", "SCHEDULE", "NEXT", "LAST", "RECENT", "STATE"], rows, style, 3);
}

/** `orch runs`. */
export function runsTable(runs: readonly RunRecord[], now: number, style: Style): string {
  const rows = runs.map((r) => [
    String(r.id),
    sanitize(r.flow),
    r.status,
    sanitize(r.trigger.detail ? `${r.trigger.kind}: ${r.trigger.detail}` : r.trigger.kind),
    when(r.startedAt ?? r.queuedAt),
    took(r.startedAt, r.endedAt, now),
    sanitize(r.reason ?? r.failures.map((f) => `${f.task}: ${f.error}`).join("; ")),
  ]);
  return table(["RUN", "FLOW", "STATUS", "TRIGGER", "STARTED", "TOOK", "REASON"], rows, style, 2);
}

/** `orch run show`. */
export function runLines(detail: RunDetail, now: number, style: Style): string {
  const r = detail.run;
  const head = [
    `run ${r.id} of ${sanitize(r.flow)}: ${colorOf(style, r.status)(r.status)}` +
    (r.reason ? ` (${sanitize(r.reason)})` : ""),
    `trigger ${sanitize(r.trigger.kind)}${
      r.trigger.detail ? `: ${sanitize(r.trigger.detail)}` : ""
    }` +
    `, queued ${when(r.queuedAt)}, started ${when(r.startedAt)}, took ${
      took(r.startedAt, r.endedAt, now)
    }`,
    `payload ${sanitize(JSON.stringify(r.payload))}`,
    "",
  ];
  const rows = latestAttempts(detail).map((t) => [
    sanitize(t.task),
    t.state,
    String(t.attempt),
    took(t.startedAt, t.endedAt, now),
    t.exit ? (t.exit.signal ?? String(t.exit.code)) : "-",
    sanitize(
      [
        t.error,
        t.waitingFor ? `waiting for ${t.waitingFor}` : undefined,
        Object.keys(t.outputs).length
          ? Object.entries(t.outputs).map(([k, v]) => `${k}=${v}`).join(" ")
          : undefined,
      ].filter(Boolean).join("; "),
    ),
  ]);
  return head.join("\n") + "\n" +
    table(["TASK", "STATE", "TRY", "TOOK", "EXIT", "DETAIL"], rows, style, 1);
}

/** `orch scheduler`. */
export function schedulerLines(state: SchedulerState): string {
  return [
    `scheduler ${state.paused ? "paused" : "running"}: ${state.flows} flow(s), ` +
    `${state.running} run(s) running, ${state.queued} queued, ` +
    `executors ${state.executors.busy}/${state.executors.max} busy`,
    ...(state.pausedFlows.length ? [`paused flows: ${state.pausedFlows.join(", ")}`] : []),
  ].join("\n") + "\n";
}
