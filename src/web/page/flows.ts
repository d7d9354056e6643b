/// <reference lib="dom" />
/**
 * Flows and runs: each flow's schedules, next runs, last run and whether it is paused, with pause,
 * resume and a trigger with a payload; the runs, filtered by flow and status, with their status and
 * duration. When the orch has no flows routes (they answer 404), the views say so.
 *
 * @module
 */
import { formatDuration } from "../../domain/duration.ts";
import { RUN_STATUSES } from "../../domain/flow.ts";
import {
  elapsed,
  type FlowRow,
  parseFlows,
  parseRuns,
  parseScheduler,
  type RunRow,
} from "../flows_model.ts";
import { ApiError } from "./api.ts";
import { actionProps, type Context, type View } from "./context.ts";
import { type Child, fill, h, modal, setText, toast } from "./dom.ts";

/** The words when the flows routes are not there. */
export const NO_FLOWS = "Flows are not available on this orch.";

/** Whether an error means the routes do not exist here. */
export function missingRoutes(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404 && /no route/.test(error.message);
}

/** A time as the views show it: `12:04:05`, with the date when it is not today. */
export function when(ms: number | undefined): string {
  if (ms === undefined) return "–";
  const date = new Date(ms);
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString() : date.toLocaleString();
}

/** `in 4m`, `5s ago`. */
export function relative(ms: number, now: number): string {
  const d = ms - now;
  return d >= 0 ? `in ${formatDuration(d)}` : `${formatDuration(-d)} ago`;
}

/** A run's status as a coloured chip, a link to the run. */
export function runChip(run: RunRow): HTMLElement {
  return h(
    "a",
    { class: `chip run-${run.status}`, href: `#/runs/${run.id}` },
    `#${run.id} ${run.status}`,
  );
}

async function trigger(context: Context, flow: string): Promise<void> {
  const asked = await modal<{ payload: unknown; key: string }>(`Trigger ${flow}`, (done, close) => {
    const payload = h("textarea", {
      rows: 6,
      spellcheck: "false",
      name: "payload",
      "aria-label": "Payload (JSON)",
    });
    payload.value = "{}";
    const key = h("input", {
      type: "text",
      name: "idempotencyKey",
      autocomplete: "off",
      "aria-label": "Idempotency key (optional)",
    });
    const problem = h("p", { class: "problem", role: "alert" });
    return h(
      "form",
      {
        class: "stack",
        on: {
          submit: (e) => {
            e.preventDefault();
            try {
              done({ payload: JSON.parse(payload.value || "{}"), key: key.value.trim() });
            } catch (error) {
              setText(problem, `the payload is not JSON: ${(error as Error).message}`);
            }
          },
        },
      },
      h("label", {}, "Payload (JSON) ", payload),
      h("label", {}, "Idempotency key (optional) ", key),
      problem,
      h(
        "div",
        { class: "buttons" },
        h("button", { type: "button", on: { click: close } }, "Cancel"),
        h("button", { class: "primary" }, "Trigger"),
      ),
    );
  });
  if (!asked) return;
  try {
    const body = await context.api.json<Record<string, unknown>>(
      "POST",
      `/v1/flows/${encodeURIComponent(flow)}/trigger`,
      {
        payload: asked.payload,
        ...(asked.key ? { idempotencyKey: asked.key } : {}),
      },
    );
    const run = (body.run ?? body) as { id?: unknown };
    toast(`${flow}: triggered${typeof run.id === "number" ? ` (run #${run.id})` : ""}`);
    if (typeof run.id === "number") context.go(`runs/${run.id}`);
  } catch (error) {
    toast(`${flow}: trigger failed: ${(error as Error).message}`, "error");
  }
}

async function pause(context: Context, action: "pause" | "resume", flow?: string): Promise<void> {
  try {
    await context.api.json("POST", `/v1/scheduler/${action}`, flow ? { flow } : {});
    toast(`${flow ?? "scheduler"}: ${action === "pause" ? "paused" : "resumed"}`);
  } catch (error) {
    toast(`${action} failed: ${(error as Error).message}`, "error");
  }
}

/** Polls `load` every `ms` and on flow events, until disposed. */
export function live(context: Context, load: () => Promise<void>, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let soon: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const tick = () =>
    void load().finally(() => {
      if (!stopped) timer = setTimeout(tick, ms);
    });
  tick();
  const unsubscribe = context.onFlowEvent(() => {
    clearTimeout(soon);
    soon = setTimeout(() => void load(), 150);
  });
  return () => {
    stopped = true;
    clearTimeout(timer);
    clearTimeout(soon);
    unsubscribe();
  };
}

/** The flows. */
export function flowsView(context: Context): View {
  const body = h("div");
  const scheduler = h("p", { class: "scheduler" });
  const row = (flow: FlowRow, now: number): Child =>
    h(
      "tr",
      { class: flow.paused ? "paused" : "" },
      h(
        "th",
        { scope: "row" },
        h("a", { href: `#/runs?flow=${encodeURIComponent(flow.name)}` }, flow.name),
        flow.description ? h("div", { class: "hint" }, flow.description) : null,
      ),
      h("td", {}, [...flow.schedules, ...flow.events.map((e) => `event ${e}`)].join(", ") || "–"),
      h(
        "td",
        {},
        flow.nextRuns.length
          ? flow.nextRuns.slice(0, 3).map((t) => h("div", { title: when(t) }, relative(t, now)))
          : "–",
      ),
      h("td", {}, flow.lastRun ? runChip(flow.lastRun) : "–"),
      h("td", {}, flow.paused ? "paused" : "active"),
      h(
        "td",
        { class: "actions" },
        h("button", {
          type: "button",
          ...actionProps(context),
          on: { click: () => trigger(context, flow.name) },
        }, "Trigger…"),
        h("button", {
          type: "button",
          ...actionProps(context),
          on: {
            click: () => pause(context, flow.paused ? "resume" : "pause", flow.name).then(load),
          },
        }, flow.paused ? "Resume" : "Pause"),
      ),
    );
  const load = async () => {
    try {
      const [flows, state] = await Promise.all([
        context.api.json("GET", "/v1/flows").then(parseFlows),
        context.api.json("GET", "/v1/scheduler").then(parseScheduler),
      ]);
      const now = Date.now();
      fill(
        scheduler,
        `Scheduler: ${state.paused ? "paused" : "running"} `,
        h("button", {
          type: "button",
          ...actionProps(context),
          on: { click: () => pause(context, state.paused ? "resume" : "pause").then(load) },
        }, state.paused ? "Resume all" : "Pause all"),
      );
      fill(
        body,
        flows.length
          ? h(
            "div",
            { class: "table-wrap" },
            h(
              "table",
              { class: "flows" },
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  ["Flow", "Schedules", "Next runs", "Last run", "State", "Actions"].map((t) =>
                    h("th", { scope: "col" }, t)
                  ),
                ),
              ),
              h("tbody", {}, flows.map((f) => row(f, now))),
            ),
          )
          : h("p", {}, "This stack has no flows."),
      );
    } catch (error) {
      fill(scheduler);
      fill(
        body,
        h(
          "p",
          { class: "notice" },
          missingRoutes(error) ? NO_FLOWS : `Could not read the flows: ${(error as Error).message}`,
        ),
      );
    }
  };
  const element = h(
    "section",
    { class: "view flows-view", "aria-labelledby": "flows-title" },
    h("div", { class: "toolbar" }, h("h1", { id: "flows-title" }, "Flows"), scheduler),
    body,
  );
  const stop = live(context, load, 5000);
  return { element, dispose: stop };
}

/** The runs, of one flow or all, of one status or all. */
export function runsView(context: Context, initial: { flow?: string; status?: string }): View {
  const flowInput = h("input", {
    type: "text",
    name: "flow",
    placeholder: "flow",
    "aria-label": "Flow",
    value: initial.flow ?? "",
  });
  const statusSelect = h(
    "select",
    { name: "status", "aria-label": "Status" },
    h("option", { value: "" }, "every status"),
    RUN_STATUSES.map((s) => h("option", { value: s }, s)),
  );
  statusSelect.value = initial.status ?? "";
  const body = h("div");
  const load = async () => {
    const query = new URLSearchParams();
    if (flowInput.value.trim()) query.set("flow", flowInput.value.trim());
    if (statusSelect.value) query.set("status", statusSelect.value);
    try {
      const runs = parseRuns(
        await context.api.json("GET", `/v1/runs${query.size ? `?${query}` : ""}`),
      );
      const now = Date.now();
      fill(
        body,
        runs.length
          ? h(
            "div",
            { class: "table-wrap" },
            h(
              "table",
              { class: "runs" },
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  ["Run", "Flow", "Status", "Trigger", "Started", "Duration"].map((t) =>
                    h("th", { scope: "col" }, t)
                  ),
                ),
              ),
              h(
                "tbody",
                {},
                runs.map((run) => {
                  const took = elapsed(run, now);
                  return h(
                    "tr",
                    { class: `run-${run.status}` },
                    h("th", { scope: "row" }, h("a", { href: `#/runs/${run.id}` }, `#${run.id}`)),
                    h("td", {}, run.flow),
                    h("td", { class: `badge run-${run.status}` }, run.status),
                    h("td", {}, run.trigger),
                    h("td", {}, when(run.startedAt ?? run.queuedAt)),
                    h("td", {}, took === undefined ? "–" : formatDuration(took)),
                  );
                }),
              ),
            ),
          )
          : h("p", {}, "No runs."),
      );
    } catch (error) {
      fill(
        body,
        h(
          "p",
          { class: "notice" },
          missingRoutes(error) ? NO_FLOWS : `Could not read the runs: ${(error as Error).message}`,
        ),
      );
    }
  };
  flowInput.addEventListener("change", () => void load());
  statusSelect.addEventListener("change", () => void load());
  const element = h(
    "section",
    { class: "view runs-view", "aria-labelledby": "runs-title" },
    h(
      "div",
      { class: "toolbar" },
      h("h1", { id: "runs-title" }, "Runs"),
      h("div", { class: "controls" }, flowInput, statusSelect),
    ),
    body,
  );
  const stop = live(context, load, 3000);
  return { element, dispose: stop };
}
