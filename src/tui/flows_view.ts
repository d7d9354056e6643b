/**
 * The flows views, drawn into the cell buffer: Flows (schedule, next run, the last runs as a strip
 * of coloured marks, paused), Runs (recent runs of every flow or of one), and Run (the task graph
 * in layers with each task's state, and a pane with the selected task's output). Pure.
 *
 * @module
 */
import { formatAge, formatDuration } from "../domain/mod.ts";
import { FLOW_KEY_HELP } from "./flows_keys.ts";
import { layers, runTasks, type View } from "./flows_model.ts";
import type { Model } from "./model.ts";
import { Buffer, COLOR, type Style } from "./screen.ts";
import { clean, textWidth, truncate } from "./text.ts";

/** The colour of a run status or task state. */
export function statusColor(status: string): number | undefined {
  switch (status) {
    case "succeeded":
      return COLOR.green;
    case "failed":
      return COLOR.red;
    case "cancelled":
      return COLOR.magenta;
    case "running":
      return COLOR.cyan;
    case "queued":
    case "waiting":
    case "retrying":
    case "interrupted":
      return COLOR.yellow;
    default:
      return COLOR.gray;
  }
}

/** A run status's mark in the strip. */
const MARK: Record<string, string> = {
  succeeded: "●",
  failed: "✗",
  cancelled: "⊘",
  skipped: "·",
  running: "▶",
  queued: "○",
  interrupted: "!",
};

const TITLES: Record<View, string> = {
  services: "Services",
  flows: "Flows",
  runs: "Runs",
  run: "Run",
};

const when = (ms: number | undefined) =>
  ms === undefined ? "-" : new Date(ms).toISOString().slice(5, 19).replace("T", " ");
const took = (a: number | undefined, b: number | undefined, now: number) =>
  a === undefined ? "-" : formatDuration((b ?? now) - a);

/** The tab line: `1 Services  2 Flows  3 Runs  4 Run`, the shown one inverse. */
export function tabs(buf: Buffer, model: Model, y: number): void {
  let x = buf.put(0, y, " orch ", { inverse: true, bold: true });
  x = buf.put(x + 1, y, clean(model.stack), { bold: true });
  x += 2;
  (["services", "flows", "runs", "run"] as View[]).forEach((v, i) => {
    const label = ` ${i + 1} ${TITLES[v]} `;
    x = buf.put(x, y, label, v === model.view ? { inverse: true } : { dim: true });
  });
  if (model.flows.readOnly) buf.put(x + 2, y, "read-only", { fg: COLOR.yellow, bold: true });
  else if (model.flows.schedulerPaused) buf.put(x + 2, y, "scheduler paused", { fg: COLOR.yellow });
}

/** Draws a table of rows from `top`; the row `selected` inverse, column `colored` by status. */
function table(
  buf: Buffer,
  top: number,
  rows: number,
  header: string[],
  cells: string[][],
  selected: number,
  colored: number,
): void {
  const widths = header.map((h, i) =>
    i === header.length - 1 ? 0 : Math.max(h.length, ...cells.map((r) => textWidth(r[i])))
  );
  const put = (y: number, row: string[], style: (i: number) => Style) => {
    let x = 1;
    row.forEach((c, i) => {
      const text = i === row.length - 1 ? c : c.padEnd(widths[i]);
      x = buf.put(x, y, truncate(text, Math.max(0, buf.width - x)), style(i)) + 2;
    });
  };
  put(top, header, () => ({ bold: true, underline: true }));
  const first = Math.max(0, Math.min(selected - rows + 2, cells.length - rows + 1));
  cells.slice(first, first + rows - 1).forEach((row, i) => {
    const y = top + 1 + i;
    const chosen = first + i === selected;
    if (chosen) buf.fill(0, y, { inverse: true });
    put(y, row, (c) => ({
      ...(chosen ? { inverse: true } : {}),
      ...(c === colored ? { fg: statusColor(row[c]) } : {}),
    }));
  });
  if (cells.length === 0) buf.put(1, top + 1, "(none yet)", { dim: true });
}

function flowsView(buf: Buffer, model: Model): void {
  const s = model.flows;
  const rows = s.flows.map((f) => [
    clean(f.name),
    clean(f.schedules.join(", ") || (f.events.length ? `on ${f.events.join(", ")}` : "-")),
    f.nextRuns[0] !== undefined ? `in ${formatAge(f.nextRuns[0] - model.now)}` : "-",
    f.lastRun?.status ?? "-",
    "",
    f.paused ? "paused" : f.running.length ? `running ${f.running.join(",")}` : "",
  ]);
  const header = ["FLOW", "SCHEDULE", "NEXT", "LAST", "RECENT    ", "STATE"];
  table(buf, 2, buf.height - 3, header, rows, Math.min(s.selFlow, rows.length - 1), 3);
  // The strip of recent runs, oldest first, one coloured mark each.
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => textWidth(r[i]))));
  const x0 = 1 + widths.slice(0, 4).reduce((a, w) => a + w + 2, 0);
  const first = Math.max(
    0,
    Math.min(s.selFlow - (buf.height - 3) + 2, rows.length - buf.height + 4),
  );
  s.flows.slice(first, first + buf.height - 4).forEach((f, i) => {
    let x = x0;
    const chosen = first + i === s.selFlow;
    for (const status of [...f.recent].reverse()) {
      x = buf.put(x, 3 + i, MARK[status] ?? "?", { fg: statusColor(status), inverse: chosen });
    }
  });
}

function runsView(buf: Buffer, model: Model): void {
  const s = model.flows;
  buf.put(1, 2, s.runsOf ? `runs of ${clean(s.runsOf)} (a: all flows)` : "runs of every flow", {
    dim: true,
  });
  const rows = s.runs.map((r) => [
    String(r.id),
    clean(r.flow),
    r.status,
    clean(r.trigger.kind),
    when(r.startedAt ?? r.queuedAt),
    took(r.startedAt, r.endedAt, model.now),
    clean(r.reason ?? r.failures.map((f) => f.task).join(", ")),
  ]);
  const header = ["RUN", "FLOW", "STATUS", "TRIGGER", "STARTED", "TOOK", "REASON"];
  table(buf, 3, buf.height - 4, header, rows, Math.min(s.selRun, rows.length - 1), 2);
}

function runView(buf: Buffer, model: Model): void {
  const s = model.flows;
  const detail = s.run;
  if (!detail) {
    buf.put(1, 2, "no run open: select one in Runs (3) and press Enter", { dim: true });
    return;
  }
  const r = detail.run;
  let x = buf.put(1, 2, `run ${r.id} of ${clean(r.flow)} `, { bold: true });
  x = buf.put(x, 2, r.status, { fg: statusColor(r.status), bold: true });
  buf.put(
    x + 2,
    2,
    truncate(
      `${clean(r.trigger.kind)}  started ${when(r.startedAt)}  took ${
        took(r.startedAt, r.endedAt, model.now)
      }` +
        (r.reason ? `  ${clean(r.reason)}` : ""),
      Math.max(0, buf.width - x - 2),
    ),
    { dim: true },
  );
  const tasks = runTasks(detail);
  const byName = new Map(tasks.map((t) => [t.task, t]));
  const selected = tasks[Math.min(s.selTask, tasks.length - 1)]?.task;
  // The graph: one column per layer, arrows between; each box the task and its state.
  const graph = detail.graph.length
    ? detail.graph
    : tasks.map((t) => ({ name: t.task, upstream: [] }));
  const cols = layers(graph);
  const graphTop = 4;
  const tallest = Math.max(1, ...cols.map((c) => c.length));
  const graphRows = Math.max(1, Math.min(tallest, Math.floor((buf.height - 7) / 2)));
  let gx = 1;
  cols.forEach((col, ci) => {
    const labels = col.map((name) => {
      const t = byName.get(name);
      return ` ${clean(name)} ${t ? t.state : "pending"}${
        t && t.attempt > 1 ? ` #${t.attempt}` : ""
      } `;
    });
    const w = Math.max(...labels.map(textWidth));
    col.slice(0, graphRows).forEach((name, ri) => {
      const state = byName.get(name)?.state ?? "pending";
      const style: Style = name === selected
        ? { inverse: true, fg: statusColor(state), bold: true }
        : { fg: statusColor(state) };
      buf.put(gx, graphTop + ri, `[${labels[ri].padEnd(w)}]`, style);
    });
    gx += w + 2;
    if (ci < cols.length - 1) gx = buf.put(gx, graphTop, " ──▶ ", { dim: true });
  });
  // The selected task's attempt, and its output.
  const paneTop = graphTop + graphRows + 1;
  const t = selected ? byName.get(selected) : undefined;
  if (t) {
    const detailText = [
      `${clean(t.task)}: ${t.state}, attempt ${t.attempt}`,
      t.exit ? `exit ${t.exit.signal ?? t.exit.code}` : "",
      t.error ? clean(t.error) : "",
      t.waitingFor ? `waiting for ${clean(t.waitingFor)}` : "",
      Object.keys(t.outputs).length
        ? `outputs ${Object.entries(t.outputs).map(([k, v]) => `${k}=${v}`).join(" ")}`
        : "",
    ].filter(Boolean).join(" · ");
    buf.fill(0, paneTop, { inverse: true });
    buf.put(0, paneTop, truncate(` ${detailText}`, buf.width), { inverse: true });
  }
  const rows = Math.max(0, buf.height - paneTop - 2);
  const lines = s.taskLog.slice(-rows);
  lines.forEach((line, i) => buf.put(1, paneTop + 1 + i, truncate(line, buf.width - 1)));
  if (t && lines.length === 0) buf.put(1, paneTop + 1, "(no output)", { dim: true });
}

function footer(buf: Buffer, model: Model): void {
  const y = buf.height - 1;
  buf.fill(0, y, { inverse: true });
  const text = model.mode === "confirmQuit"
    ? " stop the stack and quit? y or Ctrl-C: stop and quit · any other key: stay"
    : model.mode === "payload"
    ? ` payload for ${model.flows.payloadFor} (JSON; Enter trigger, empty: none, Esc cancel): ${model.input}▏`
    : model.flash
    ? ` ${model.flash}`
    : model.flows.readOnly
    ? " q quit · 1-4 views · ↑↓ select · Enter open · Esc back · actions need a running orch"
    : " q quit · ? help · 1-4 views · ↑↓ select · Enter open · Esc back · t trigger · c cancel · r retry · p/P pause";
  buf.put(0, y, truncate(text, buf.width), { inverse: true, bold: model.mode !== "normal" });
}

/** The help lines of the flows views. */
export function flowHelp(): readonly [string, string][] {
  return FLOW_KEY_HELP;
}

/** Renders a flows view (Flows, Runs or Run). */
export function renderFlows(model: Model): Buffer {
  const buf = new Buffer(model.width, model.height);
  if (model.width < 20 || model.height < 8) {
    buf.put(0, 0, truncate("terminal too small", model.width));
    return buf;
  }
  tabs(buf, model, 0);
  if (model.view === "flows") flowsView(buf, model);
  else if (model.view === "runs") runsView(buf, model);
  else runView(buf, model);
  footer(buf, model);
  return buf;
}
