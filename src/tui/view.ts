/**
 * The view: a pure function from the model to a cell buffer. A header, the status table
 * `SERVICE STATE READY REPL RESTARTS AGE CPU MEM MESSAGE`, the log pane, and a footer with the keys
 * (or the line being typed). Colours by state; one colour per service in the log pane.
 *
 * @module
 */
import { formatAge, formatBytes, type InstanceState } from "../domain/mod.ts";
import { KEY_HELP } from "./keys.ts";
import { layout, type Model, tableWindow, visibleLogs } from "./model.ts";
import { Buffer, COLOR, type Style } from "./screen.ts";
import { textWidth, truncate } from "./text.ts";

const STATE_COLOR: Record<InstanceState, number | undefined> = {
  pending: COLOR.gray,
  waiting: COLOR.yellow,
  starting: COLOR.cyan,
  running: COLOR.cyan,
  ready: COLOR.green,
  stopping: COLOR.magenta,
  stopped: COLOR.gray,
  completed: COLOR.green,
  backoff: COLOR.brightYellow,
  failed: COLOR.red,
};

const SERVICE_COLORS = [
  COLOR.cyan,
  COLOR.yellow,
  COLOR.green,
  COLOR.magenta,
  COLOR.blue,
  COLOR.brightCyan,
  COLOR.brightYellow,
  COLOR.brightGreen,
  COLOR.brightMagenta,
  COLOR.brightBlue,
];

const LEVEL_COLOR: Record<string, number | undefined> = {
  warn: COLOR.yellow,
  error: COLOR.red,
  fatal: COLOR.brightRed,
  debug: COLOR.gray,
  trace: COLOR.gray,
};

function header(buf: Buffer, model: Model): void {
  const counts = new Map<string, number>();
  for (const i of model.instances) counts.set(i.state, (counts.get(i.state) ?? 0) + 1);
  let x = buf.put(0, 0, " orch ", { inverse: true, bold: true });
  x = buf.put(x + 1, 0, model.stack, { bold: true });
  x = buf.put(x, 0, `  ${model.phase}, up ${formatAge(model.now - model.startedAt)}  `, {
    dim: true,
  });
  for (const [state, n] of counts) {
    x = buf.put(x, 0, `${n} ${state}`, { fg: STATE_COLOR[state as InstanceState] });
    x = buf.put(x, 0, "  ");
  }
}

const COLUMNS = ["SERVICE", "STATE", "READY", "REPL", "RESTARTS", "AGE", "CPU", "MEM", "MESSAGE"];

function table(buf: Buffer, model: Model): void {
  const rows = model.services.map((s) => [
    s.service,
    s.state,
    s.replicas > 0 && s.ready >= s.replicas ? "true" : "false",
    `${s.ready}/${s.replicas}`,
    String(s.restarts),
    formatAge(model.now - s.since),
    s.cpuSeconds !== undefined ? `${s.cpuSeconds.toFixed(1)}s` : "-",
    s.rssBytes !== undefined ? formatBytes(s.rssBytes) : "-",
    s.message,
  ]);
  const widths = COLUMNS.map((c, i) =>
    i === COLUMNS.length - 1 ? 0 : Math.max(c.length, ...rows.map((r) => textWidth(r[i])))
  );
  const putRow = (y: number, cells: string[], style: (i: number) => Style) => {
    let x = 1;
    cells.forEach((cell, i) => {
      const last = i === cells.length - 1;
      buf.put(x, y, last ? truncate(cell, buf.width - x) : cell, style(i));
      x += last ? 0 : widths[i] + 2;
    });
  };
  putRow(1, COLUMNS, () => ({ bold: true, underline: false, dim: false }));
  // Keep the selected row in view when the table is longer than its space, and say what is hidden.
  const window = tableWindow(model);
  const first = window.first;
  if (window.above + window.below > 0) {
    const hidden = window.above + window.below;
    const where = [
      window.above ? `${window.above} above` : "",
      window.below ? `${window.below} below` : "",
    ].filter(Boolean).join(", ");
    const y = 2 + window.rows;
    const x = buf.put(1, y, `… ${hidden} more`, { bold: true });
    buf.put(x, y, truncate(`  (${where}; ↑/↓ scrolls)`, buf.width - x), { dim: true });
  }
  for (let r = 0; r < window.rows && first + r < rows.length; r++) {
    const index = first + r;
    const y = 2 + r;
    const selected = index === model.selected;
    if (selected) buf.fill(0, y, { inverse: true });
    const state = model.services[index].state;
    putRow(y, rows[index], (i) => ({
      inverse: selected,
      fg: i === 1
        ? STATE_COLOR[state]
        : i === 0
        ? SERVICE_COLORS[index % SERVICE_COLORS.length]
        : undefined,
      bold: i === 0,
    }));
    if (selected) buf.put(0, y, "›", { inverse: true, bold: true });
  }
}

function logPane(buf: Buffer, model: Model): void {
  const { logTop, logRows } = layout(model);
  const titleY = logTop - 1;
  const parts = [
    model.focus ? `logs: ${model.focus}` : "logs: all services",
    model.minLevel ? `level ≥ ${model.minLevel}` : "",
    model.filter ? `filter /${model.filter.source}/` : "",
    model.follow ? "following" : `paused (${model.scroll} newer below, f to follow)`,
  ].filter(Boolean);
  buf.fill(0, titleY, { dim: true });
  buf.put(0, titleY, `── ${parts.join(" · ")} `, { dim: true });
  buf.put(textWidth(`── ${parts.join(" · ")} `), titleY, "─".repeat(buf.width), { dim: true });
  if (model.mode === "help") {
    KEY_HELP.slice(0, logRows).forEach(([keys, what], i) => {
      buf.put(2, logTop + i, keys.padEnd(20), { bold: true });
      buf.put(23, logTop + i, what);
    });
    return;
  }
  const { lines } = visibleLogs(model);
  const serviceIndex = new Map(model.services.map((s, i) => [s.service, i]));
  const replicated = new Set(
    model.services.filter((s) => s.replicas > 1).map((s) => s.service),
  );
  const prefixWidth = Math.min(
    24,
    Math.max(
      4,
      ...model.services.map((s) => s.service.length + (replicated.has(s.service) ? 3 : 0)),
    ),
  );
  lines.forEach((line, i) => {
    const y = logTop + i;
    const r = line.record;
    const name = r.service === "orch"
      ? "orch"
      : replicated.has(r.service)
      ? `${r.service}.${r.replica}`
      : r.service;
    const marked = model.mark === r.seq;
    if (marked) buf.fill(0, y, { inverse: true });
    const colour = r.stream === "orch"
      ? COLOR.gray
      : SERVICE_COLORS[(serviceIndex.get(r.service) ?? 0) % SERVICE_COLORS.length];
    let x = buf.put(0, y, truncate(name, prefixWidth).padEnd(prefixWidth), {
      fg: colour,
      inverse: marked,
    });
    x = buf.put(x, y, " │ ", { dim: true, inverse: marked });
    const base: Style = {
      fg: r.stream === "orch" ? COLOR.gray : LEVEL_COLOR[r.level],
      inverse: marked,
    };
    if (!model.filter) {
      buf.put(x, y, line.text, base);
      return;
    }
    // Highlight the matches of the filter.
    const re = new RegExp(model.filter.re.source, "gi");
    let last = 0;
    for (const match of line.text.matchAll(re)) {
      if (match[0] === "") break;
      x = buf.put(x, y, line.text.slice(last, match.index), base);
      x = buf.put(x, y, match[0], { ...base, fg: 0, bg: COLOR.yellow });
      last = match.index! + match[0].length;
    }
    buf.put(x, y, line.text.slice(last), base);
  });
}

function footer(buf: Buffer, model: Model): void {
  const y = buf.height - 1;
  buf.fill(0, y, { inverse: true });
  let text: string;
  switch (model.mode) {
    case "filter":
      text = ` filter (regex; Enter apply, empty: none, Ctrl-U clear, Esc cancel): ${model.input}▏`;
      break;
    case "input":
      text = ` to ${
        model.services[model.selected]?.service ?? "?"
      } stdin (Enter to send, Esc to cancel): ${model.input}▏`;
      break;
    case "confirmQuit":
      text = " stop the stack and quit? y or Ctrl-C: stop and quit · any other key: stay";
      break;
    case "help":
      text = " any key: back";
      break;
    default:
      text = model.ended !== undefined
        ? ` ${model.ended} · press any key to leave`
        : model.flash
        ? ` ${model.flash}`
        : " q quit · ? help · ↑↓ select · Enter focus · Tab all · / filter · l level · r restart · s stop/start · i input · w save";
  }
  buf.put(0, y, truncate(text, buf.width), { inverse: true, bold: model.mode !== "normal" });
}

/** Renders the model. */
export function render(model: Model): Buffer {
  const buf = new Buffer(model.width, model.height);
  if (model.width < 20 || model.height < 6) {
    buf.put(0, 0, truncate("terminal too small", model.width));
    return buf;
  }
  header(buf, model);
  table(buf, model);
  logPane(buf, model);
  footer(buf, model);
  return buf;
}
