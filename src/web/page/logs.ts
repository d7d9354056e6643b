/// <reference lib="dom" />
/**
 * The logs: every service or one, the level at least, followed live or not; a regular-expression
 * filter, a search that marks its matches and steps between them, and a download of what is shown.
 * Each line is text nodes (a search mark is a <mark> around text), never markup of the service's.
 *
 * @module
 */
import type { Level } from "../../domain/log.ts";
import {
  clockTime,
  compilePattern,
  displayText,
  downloadName,
  downloadText,
  logsPath,
  markMatches,
  parseRecord,
  passes,
  RecordBuffer,
  sourceOf,
  type WireRecord,
} from "../logview.ts";
import type { Context, View } from "./context.ts";
import { fill, h, setText } from "./dom.ts";

const KEEP = 5000;
const TAIL = 1000;

/** A stable colour index for a source. */
function hue(text: string): number {
  let n = 0;
  for (const c of text) n = (n * 31 + c.charCodeAt(0)) >>> 0;
  return n % 8;
}

/** The lines of `records` drawn, the search's matches marked. */
export function lineOf(record: WireRecord, search: RegExp | undefined): HTMLElement {
  const source = sourceOf(record);
  return h(
    "div",
    { class: `line level-${record.level} stream-${record.stream}` },
    h("span", { class: "ts" }, clockTime(record.ts)),
    " ",
    h("span", { class: `src hue-${hue(record.service)}` }, source),
    " ",
    h("span", { class: "lvl" }, record.level),
    " ",
    h(
      "span",
      { class: "msg" },
      markMatches(displayText(record), search).map((p) => (p.hit ? h("mark", {}, p.text) : p.text)),
    ),
  );
}

/** The log view; `service` preselects one. */
export function logsView(context: Context, initial: { service?: string }): View {
  const buffer = new RecordBuffer(KEEP);
  const output = h("div", {
    class: "log-lines",
    role: "log",
    "aria-live": "off",
    tabindex: 0,
    "aria-label": "Log lines",
  });
  const serviceSelect = h(
    "select",
    { name: "service", "aria-label": "Service" },
    h("option", { value: "" }, "All services"),
  );
  for (const s of context.services) serviceSelect.append(h("option", { value: s.name }, s.name));
  serviceSelect.value = initial.service ?? "";
  const levelSelect = h(
    "select",
    { name: "level", "aria-label": "Level at least" },
    ["", "debug", "info", "warn", "error"].map((l) =>
      h("option", { value: l }, l ? `${l} and above` : "every level")
    ),
  );
  const follow = h("input", { type: "checkbox", name: "follow", checked: true });
  const filter = h("input", {
    type: "search",
    name: "filter",
    placeholder: "filter (regex)",
    "aria-label": "Filter lines by a regular expression",
    autocomplete: "off",
  });
  const search = h("input", {
    type: "search",
    name: "search",
    placeholder: "search",
    "aria-label": "Search",
    autocomplete: "off",
  });
  const found = h("span", { class: "found", "aria-live": "polite" });
  const problem = h("span", { class: "problem", role: "alert" });
  const state = h("span", { class: "stream-state" });
  let filterRegex: RegExp | undefined;
  let searchRegex: RegExp | undefined;
  let shown: WireRecord[] = [];
  let current = -1;
  let controller: AbortController | undefined;
  let pending: WireRecord[] = [];
  let frame = 0;

  const atBottom = () => output.scrollHeight - output.scrollTop - output.clientHeight < 40;
  const minLevel = () => (levelSelect.value || undefined) as Level | undefined;

  const countMatches = () => {
    const marks = output.querySelectorAll("mark");
    setText(found, searchRegex ? `${marks.length} match${marks.length === 1 ? "" : "es"}` : "");
    return marks;
  };

  const redraw = () => {
    shown = buffer.records.filter((r) => passes(r, { regex: filterRegex }));
    fill(output, shown.map((r) => lineOf(r, searchRegex)));
    current = -1;
    countMatches();
    if (follow.checked) output.scrollTop = output.scrollHeight;
  };

  const flush = () => {
    frame = 0;
    const batch = pending;
    pending = [];
    const stick = follow.checked && atBottom();
    const over = buffer.records.length + batch.length - KEEP;
    const leaving = new Set(over > 0 ? [...buffer.records, ...batch].slice(0, over) : []);
    buffer.push(batch);
    // The lines drawn are the shown records in order: those that left the buffer go from the top.
    let gone = 0;
    while (gone < shown.length && leaving.has(shown[gone])) {
      output.firstChild?.remove();
      gone++;
    }
    if (gone) shown = shown.slice(gone);
    const fresh = batch.filter((r) => !leaving.has(r) && passes(r, { regex: filterRegex }));
    shown.push(...fresh);
    output.append(...fresh.map((r) => lineOf(r, searchRegex)));
    if (searchRegex) countMatches();
    if (stick) output.scrollTop = output.scrollHeight;
  };

  const start = () => {
    controller?.abort();
    controller = new AbortController();
    const signal = controller.signal;
    buffer.clear();
    pending = [];
    redraw();
    setText(state, follow.checked ? "following" : "");
    const path = logsPath({
      service: serviceSelect.value || undefined,
      minLevel: minLevel(),
      tail: TAIL,
      follow: follow.checked,
    });
    context.api.lines(path, (lines) => {
      for (const line of lines) {
        const record = parseRecord(line);
        if (record) pending.push(record);
      }
      if (!frame) frame = requestAnimationFrame(flush);
    }, signal).then(() => {
      if (!signal.aborted) setText(state, follow.checked ? "the stream ended" : "");
    }, (error) => {
      if (!signal.aborted) setText(state, `the stream failed: ${(error as Error).message}`);
    });
  };

  const onFilter = () => {
    const compiled = compilePattern(filter.value);
    setText(problem, compiled.error ? `filter: ${compiled.error}` : "");
    filter.setAttribute("aria-invalid", compiled.error ? "true" : "false");
    if (compiled.error) return;
    filterRegex = compiled.regex;
    redraw();
  };
  const onSearch = () => {
    const compiled = compilePattern(search.value);
    setText(problem, compiled.error ? `search: ${compiled.error}` : "");
    if (compiled.error) return;
    searchRegex = compiled.regex;
    redraw();
  };
  const step = (by: number) => {
    const marks = countMatches();
    if (!marks.length) return;
    marks[current]?.classList.remove("current");
    current = (current + by + marks.length) % marks.length;
    marks[current].classList.add("current");
    marks[current].scrollIntoView({ block: "center" });
    follow.checked = false;
  };
  const download = () => {
    const blob = new Blob([downloadText(shown)], { type: "text/plain;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const a = h("a", {
      href: url,
      download: downloadName(serviceSelect.value || undefined, new Date()),
    });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  serviceSelect.addEventListener("change", start);
  levelSelect.addEventListener("change", start);
  follow.addEventListener("change", start);
  filter.addEventListener("input", onFilter);
  search.addEventListener("input", onSearch);
  search.addEventListener("keydown", (e) => {
    if (e.key === "Enter") step(e.shiftKey ? -1 : 1);
  });

  const element = h(
    "section",
    { class: "view logs-view", "aria-labelledby": "logs-title" },
    h("div", { class: "toolbar" }, h("h1", { id: "logs-title" }, "Logs"), state),
    h(
      "div",
      { class: "controls" },
      serviceSelect,
      levelSelect,
      h("label", { class: "check" }, follow, " follow"),
      filter,
      search,
      h(
        "button",
        { type: "button", "aria-label": "Previous match", on: { click: () => step(-1) } },
        "↑",
      ),
      h(
        "button",
        { type: "button", "aria-label": "Next match", on: { click: () => step(1) } },
        "↓",
      ),
      found,
      h("button", { type: "button", on: { click: download } }, "Download"),
      h("button", { type: "button", on: { click: () => (buffer.clear(), redraw()) } }, "Clear"),
      problem,
    ),
    output,
  );
  start();
  return {
    element,
    dispose: () => {
      controller?.abort();
      if (frame) cancelAnimationFrame(frame);
    },
  };
}
