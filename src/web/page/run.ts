/// <reference lib="dom" />
/**
 * One run: its status, trigger, payload and duration; its task graph coloured by each task's state;
 * each task's attempts with their exit codes, durations and outputs; the selected task's log;
 * cancel, and retry from a task (only it, or it and what follows).
 *
 * @module
 */
import { formatDuration } from "../../domain/duration.ts";
import { isRunEnded } from "../../domain/flow.ts";
import {
  elapsed,
  parseRunDetail,
  type RunDetail,
  taskGraph,
  type TaskRow,
} from "../flows_model.ts";
import { type GraphNode, layoutGraph } from "../layout.ts";
import { parseRecord } from "../logview.ts";
import { actionProps, canChange, type Context, type View } from "./context.ts";
import { fill, h, modal, toast } from "./dom.ts";
import { live, missingRoutes, NO_FLOWS, when } from "./flows.ts";
import { drawGraph } from "./graph.ts";
import { lineOf } from "./logs.ts";

function exitOf(task: TaskRow): string {
  const a = task.latest;
  if (a.signal) return a.signal;
  return a.exitCode === undefined || a.exitCode === null ? "–" : String(a.exitCode);
}

async function retry(context: Context, detail: RunDetail): Promise<void> {
  const asked = await modal<{ from?: string; only: boolean }>(
    `Retry run #${detail.run.id}`,
    (done, close) => {
      const from = h(
        "select",
        { name: "from", "aria-label": "From task" },
        h("option", { value: "" }, "the failed tasks"),
        detail.tasks.map((t) => h("option", { value: t.task }, t.task)),
      );
      const only = h("input", { type: "checkbox", name: "only" });
      return h(
        "form",
        {
          class: "stack",
          on: {
            submit: (
              e,
            ) => (e.preventDefault(), done({ from: from.value || undefined, only: only.checked })),
          },
        },
        h("label", {}, "From ", from),
        h("label", { class: "check" }, only, " only that task (not what follows it)"),
        h(
          "div",
          { class: "buttons" },
          h("button", { type: "button", on: { click: close } }, "Cancel"),
          h("button", { class: "primary" }, "Retry"),
        ),
      );
    },
  );
  if (!asked) return;
  try {
    const body = await context.api.json<Record<string, unknown>>(
      "POST",
      `/v1/runs/${detail.run.id}/retry`,
      {
        ...(asked.from ? { from: asked.from } : {}),
        ...(asked.only ? { only: true } : {}),
      },
    );
    const run = (body.run ?? body) as { id?: unknown };
    toast(`run #${detail.run.id}: retried`);
    if (typeof run.id === "number" && run.id !== detail.run.id) context.go(`runs/${run.id}`);
  } catch (error) {
    toast(`retry failed: ${(error as Error).message}`, "error");
  }
}

/** The run view. */
export function runView(context: Context, id: string): View {
  const head = h("div", { class: "run-head" });
  const picture = h("div", { class: "graph-wrap" });
  const tasksBox = h("div", { class: "table-wrap" });
  const logBox = h("div", { class: "task-log" });
  let selected: string | undefined;
  let logFor = "";
  let logAbort: AbortController | undefined;
  const flowGraphs = new Map<string, GraphNode[]>();
  let detail: RunDetail | undefined;

  const showLog = (task: string, running: boolean) => {
    const key = `${task}\u0000${running}`;
    if (key === logFor) return;
    logFor = key;
    logAbort?.abort();
    logAbort = new AbortController();
    const lines = h("div", {
      class: "log-lines",
      role: "log",
      tabindex: 0,
      "aria-label": `Log of ${task}`,
    });
    fill(logBox, h("h2", {}, `Log of ${task}`), lines);
    const path = `/v1/runs/${encodeURIComponent(id)}/tasks/${encodeURIComponent(task)}/logs${
      running ? "?follow=true" : ""
    }`;
    context.api.lines(path, (batch) => {
      lines.append(...batch.flatMap((l) => {
        const r = parseRecord(l);
        return r ? [lineOf(r, undefined)] : [];
      }));
      lines.scrollTop = lines.scrollHeight;
    }, logAbort.signal).catch((error) => {
      if (!logAbort?.signal.aborted) {
        lines.append(
          h("p", { class: "problem" }, `the log could not be read: ${(error as Error).message}`),
        );
      }
    });
  };

  const pick = (task: string) => {
    selected = task;
    draw();
  };

  const draw = () => {
    if (!detail) return;
    const { run, tasks } = detail;
    const now = Date.now();
    const took = elapsed(run, now);
    const ended = isRunEnded(run.status);
    fill(
      head,
      h(
        "h1",
        { id: "run-title" },
        `Run #${run.id} of `,
        h("a", { href: `#/runs?flow=${encodeURIComponent(run.flow)}` }, run.flow),
      ),
      h(
        "dl",
        { class: "summary" },
        h("dt", {}, "Status"),
        h("dd", { class: `badge run-${run.status}` }, run.status),
        h("dt", {}, "Trigger"),
        h("dd", {}, run.trigger || "–"),
        h("dt", {}, "Started"),
        h("dd", {}, when(run.startedAt)),
        h("dt", {}, "Duration"),
        h("dd", {}, took === undefined ? "–" : formatDuration(took)),
        run.reason ? [h("dt", {}, "Reason"), h("dd", {}, run.reason)] : null,
        h("dt", {}, "Payload"),
        h("dd", {}, h("code", {}, JSON.stringify(detail.payload))),
      ),
      h(
        "div",
        { class: "buttons" },
        h("button", {
          type: "button",
          ...actionProps(context),
          disabled: ended || !canChange(context),
          on: {
            click: () =>
              context.api.json("POST", `/v1/runs/${run.id}/cancel`).then(
                () => toast(`run #${run.id}: cancel asked`),
                (e) => toast(`cancel failed: ${e.message}`, "error"),
              ),
          },
        }, "Cancel"),
        h("button", {
          type: "button",
          ...actionProps(context),
          on: { click: () => detail && retry(context, detail) },
        }, "Retry…"),
      ),
    );
    const stateOf = new Map(tasks.map((t) => [t.task, t.latest.state]));
    const declared = flowGraphs.get(run.flow);
    const graph = declared?.length
      ? [...declared, ...detail.graph.filter((n) => !declared.some((d) => d.id === n.id))]
      : detail.graph;
    fill(
      picture,
      drawGraph(layoutGraph(graph), {
        label: `Task graph of run ${run.id}`,
        stateOf: (task) => stateOf.get(task) ?? "pending",
        onPick: pick,
      }),
    );
    fill(
      tasksBox,
      h(
        "table",
        { class: "tasks" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["Task", "State", "Attempts", "Exit", "Duration", "Waiting for", "Outputs"].map((t) =>
              h("th", { scope: "col" }, t)
            ),
          ),
        ),
        h(
          "tbody",
          {},
          tasks.map((t) => {
            const d = elapsed(t.latest, now);
            return h(
              "tr",
              { class: `task-${t.latest.state}${t.task === selected ? " selected" : ""}` },
              h(
                "th",
                { scope: "row" },
                h(
                  "button",
                  { type: "button", class: "link", on: { click: () => pick(t.task) } },
                  t.task,
                ),
              ),
              h("td", { class: `badge task-${t.latest.state}` }, t.latest.state),
              h(
                "td",
                {},
                t.attempts.map((a) =>
                  h(
                    "div",
                    { class: `attempt task-${a.state}`, title: a.error ?? "" },
                    `#${a.attempt} ${a.state}${
                      a.exitCode !== undefined && a.exitCode !== null ? ` (exit ${a.exitCode})` : ""
                    }${a.error ? `: ${a.error}` : ""}`,
                  )
                ),
              ),
              h("td", {}, exitOf(t)),
              h("td", {}, d === undefined ? "–" : formatDuration(d)),
              h(
                "td",
                {},
                t.latest.waitingFor ??
                  (t.latest.retryAt ? `retry at ${when(t.latest.retryAt)}` : "–"),
              ),
              h(
                "td",
                { class: "outputs" },
                Object.entries(t.latest.outputs).map(([k, v]) =>
                  h("div", {}, h("code", {}, k), " = ", v)
                ),
              ),
            );
          }),
        ),
      ),
    );
    const task = selected && tasks.find((t) => t.task === selected);
    if (task) {
      showLog(
        task.task,
        !isRunEnded(run.status) &&
          !["succeeded", "failed", "skipped", "cancelled"].includes(task.latest.state),
      );
    }
  };

  const load = async () => {
    try {
      const body = await context.api.json("GET", `/v1/runs/${encodeURIComponent(id)}`);
      detail = parseRunDetail(body);
      if (!detail) {
        fill(head, h("p", { class: "notice" }, `The answer for run ${id} could not be read.`));
        return;
      }
      if (!flowGraphs.has(detail.run.flow)) {
        const flow = await context.api.json<Record<string, unknown>>(
          "GET",
          `/v1/flows/${encodeURIComponent(detail.run.flow)}`,
        ).catch(() => ({} as Record<string, unknown>));
        const source = (flow.flow ?? flow) as Record<string, unknown>;
        flowGraphs.set(detail.run.flow, taskGraph(source.tasks ?? source.graph));
      }
      draw();
    } catch (error) {
      fill(
        head,
        h(
          "p",
          { class: "notice" },
          missingRoutes(error) ? NO_FLOWS : `Could not read run ${id}: ${(error as Error).message}`,
        ),
      );
    }
  };

  const element = h(
    "section",
    { class: "view run-view", "aria-labelledby": "run-title" },
    h("p", {}, h("a", { href: "#/runs" }, "← Runs")),
    head,
    h("h2", {}, "Tasks"),
    h("p", { class: "hint" }, "Select a task for its attempts' log."),
    picture,
    tasksBox,
    logBox,
  );
  const stop = live(context, load, 2000);
  return {
    element,
    dispose: () => {
      stop();
      logAbort?.abort();
    },
  };
}
