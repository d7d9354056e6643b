/// <reference lib="dom" />
/**
 * The services: the status table, live (rows updated in place, so that focus and selection stay),
 * coloured by state, with CPU, memory, the blocked reason and the actions; and one service's page
 * with its instances and probes.
 *
 * @module
 */
import { formatAge, formatBytes, type ServiceSummary } from "../../domain/status.ts";
import { act, applyDialog, scale, send } from "./actions.ts";
import { actionProps, type Context, type StatusBody, type View } from "./context.ts";
import { fill, h, setText } from "./dom.ts";

/** What a row says about why a service waits or failed: the blocked reason, else its message. */
export function reasonOf(status: StatusBody, service: string, summary: ServiceSummary): string {
  const blocked = status.instances.find((i) => i.service === service && i.blocked)?.blocked;
  if (blocked) {
    const detail = blocked.detail ? ` (${blocked.detail})` : "";
    return `waiting for ${blocked.target} to be ${blocked.condition}: ${blocked.because}${detail}`;
  }
  return summary.message;
}

function cpu(summary: ServiceSummary): string {
  return summary.cpuSeconds === undefined ? "" : `${summary.cpuSeconds.toFixed(1)}s`;
}

function memory(summary: ServiceSummary): string {
  return summary.rssBytes === undefined ? "" : formatBytes(summary.rssBytes);
}

function wanted(status: StatusBody, service: string): boolean {
  return status.instances.some((i) => i.service === service && i.want === "up");
}

interface Row {
  readonly tr: HTMLTableRowElement;
  readonly cells: Record<string, HTMLElement>;
  readonly badge: HTMLElement;
  readonly toggle: HTMLButtonElement;
}

/** The status table. */
export function servicesView(context: Context): View {
  const body = h("tbody");
  const rows = new Map<string, Row>();
  const counts = h("p", { class: "counts", "aria-live": "polite" });
  const table = h(
    "table",
    { class: "services" },
    h("caption", { class: "sr-only" }, "Services"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["Service", "State", "Ready", "Restarts", "Age", "CPU", "Memory", "Message", "Actions"].map(
          (t) =>
            h("th", {
              scope: "col",
              class: ["Restarts", "Age", "CPU", "Memory"].includes(t) ? "wide" : "",
            }, t),
        ),
      ),
    ),
    body,
  );

  const makeRow = (service: string): Row => {
    const cell = (name: string, extra = "") =>
      h("td", { class: `${name} ${extra}`.trim(), "data-label": name });
    const cells = {
      state: cell("state"),
      ready: cell("ready"),
      restarts: cell("restarts", "wide"),
      age: cell("age", "wide"),
      cpu: cell("cpu", "wide"),
      memory: cell("memory", "wide"),
      message: cell("message"),
    };
    const badge = h("span", { class: "chip" });
    cells.state.append(badge);
    const toggle = h("button", { type: "button", ...actionProps(context) }, "Stop");
    toggle.addEventListener(
      "click",
      () => act(context, service, toggle.dataset.action as "start" | "stop"),
    );
    const restart = h("button", {
      type: "button",
      ...actionProps(context),
      on: { click: () => act(context, service, "restart") },
    }, "Restart");
    const scaleButton = h("button", {
      type: "button",
      ...actionProps(context),
      on: {
        click: () => {
          const summary = context.status?.services.find((s) => s.service === service);
          void scale(context, service, summary?.replicas ?? 1);
        },
      },
    }, "Scale");
    const sendButton = h("button", {
      type: "button",
      ...actionProps(context),
      on: { click: () => send(context, service) },
    }, "Send");
    const tr = h(
      "tr",
      { "data-service": service },
      h(
        "th",
        { scope: "row", class: "name" },
        h("a", { href: `#/services/${encodeURIComponent(service)}` }, service),
      ),
      cells.state,
      cells.ready,
      cells.restarts,
      cells.age,
      cells.cpu,
      cells.memory,
      cells.message,
      h("td", { class: "actions" }, toggle, restart, scaleButton, sendButton),
    );
    return { tr, cells, badge, toggle };
  };

  const update = () => {
    const status = context.status;
    if (!status) return;
    const seen = new Set<string>();
    const byState = new Map<string, number>();
    for (const summary of status.services) {
      seen.add(summary.service);
      byState.set(summary.state, (byState.get(summary.state) ?? 0) + 1);
      let row = rows.get(summary.service);
      if (!row) {
        row = makeRow(summary.service);
        rows.set(summary.service, row);
      }
      body.append(row.tr); // keeps the API's order
      row.tr.className = `state-${summary.state}`;
      setText(row.badge, summary.state);
      row.badge.className = `chip badge-${summary.state}`;
      setText(row.cells.ready, `${summary.ready}/${summary.replicas}`);
      setText(row.cells.restarts, String(summary.restarts));
      setText(row.cells.age, formatAge(context.now() - summary.since));
      setText(row.cells.cpu, cpu(summary));
      setText(row.cells.memory, memory(summary));
      setText(row.cells.message, reasonOf(status, summary.service, summary));
      const up = wanted(status, summary.service);
      setText(row.toggle, up ? "Stop" : "Start");
      row.toggle.dataset.action = up ? "stop" : "start";
    }
    for (const [service, row] of rows) {
      if (!seen.has(service)) {
        row.tr.remove();
        rows.delete(service);
      }
    }
    fill(
      counts,
      [...byState].map(([state, n]) =>
        h("span", { class: `chip badge-${state}` }, `${n} ${state}`)
      ),
    );
  };

  const element = h(
    "section",
    { class: "view services-view", "aria-labelledby": "services-title" },
    h(
      "div",
      { class: "toolbar" },
      h("h1", { id: "services-title" }, "Services"),
      counts,
      h("button", {
        type: "button",
        ...actionProps(context),
        on: { click: () => applyDialog(context) },
      }, "Apply a stack file…"),
    ),
    h("div", { class: "table-wrap" }, table),
  );
  update();
  return { element, update };
}

/** One service: its summary, instances and probes, dependencies, actions and a link to its logs. */
export function serviceView(context: Context, service: string): View {
  const summaryBox = h("dl", { class: "summary" });
  const instances = h("tbody");
  const info = context.services.find((s) => s.name === service);
  const deps = info?.dependencies ?? info?.dependsOn.map((target) => ({ target, condition: "" })) ??
    [];
  const update = () => {
    const status = context.status;
    const summary = status?.services.find((s) => s.service === service);
    if (!status || !summary) {
      fill(summaryBox, h("dt", {}, "State"), h("dd", {}, status ? "no such service" : "…"));
      return;
    }
    const item = (
      term: string,
      value: string,
      cls = "",
    ) => [h("dt", {}, term), h("dd", { class: cls }, value)];
    fill(
      summaryBox,
      item("State", summary.state, `badge-${summary.state}`),
      item("Ready", `${summary.ready}/${summary.replicas}`),
      item("Restarts", String(summary.restarts)),
      item("Age", formatAge(context.now() - summary.since)),
      item("CPU", cpu(summary) || "–"),
      item("Memory", memory(summary) || "–"),
      item("Kind", info ? `${info.kind}, ${info.runtime}` : "–"),
      item("Message", reasonOf(status, service, summary) || "–"),
    );
    fill(
      instances,
      status.instances.filter((i) => i.service === service).map((i) =>
        h(
          "tr",
          { class: `state-${i.state}` },
          h("th", { scope: "row" }, i.id),
          h("td", { class: `badge-${i.state}` }, i.state),
          h("td", {}, i.pid === undefined || i.pid === null ? "–" : String(i.pid)),
          h("td", {}, String(i.restarts)),
          h("td", {}, i.usage ? formatBytes(i.usage.rssBytes) : "–"),
          h(
            "td",
            { class: "probes" },
            Object.entries(i.probes ?? {}).map(([name, p]) =>
              h(
                "span",
                { class: `chip probe-${p.outcome}`, title: p.detail },
                `${name}: ${p.outcome}${p.detail ? ` (${p.detail})` : ""}`,
              )
            ),
          ),
          h("td", { class: "message" }, i.message),
        )
      ),
    );
  };
  const element = h(
    "section",
    { class: "view service-view", "aria-labelledby": "service-title" },
    h("p", {}, h("a", { href: "#/services" }, "← Services")),
    h("h1", { id: "service-title" }, service),
    h(
      "div",
      { class: "buttons" },
      ["start", "stop", "restart"].map((a) =>
        h("button", {
          type: "button",
          ...actionProps(context),
          on: { click: () => act(context, service, a as "start") },
        }, a[0].toUpperCase() + a.slice(1))
      ),
      h("button", {
        type: "button",
        ...actionProps(context),
        on: { click: () => scale(context, service, info?.replicas ?? 1) },
      }, "Scale"),
      h("button", {
        type: "button",
        ...actionProps(context),
        on: { click: () => send(context, service) },
      }, "Send a line"),
      h("a", { class: "button", href: `#/logs?service=${encodeURIComponent(service)}` }, "Logs"),
    ),
    summaryBox,
    deps.length
      ? h(
        "p",
        {},
        "Depends on ",
        deps.map((
          d,
          i,
        ) => [
          i ? ", " : "",
          h("a", { href: `#/services/${encodeURIComponent(d.target)}` }, d.target),
          d.condition ? ` (${d.condition})` : "",
        ]),
      )
      : null,
    h("h2", {}, "Instances"),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "instances" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["Instance", "State", "PID", "Restarts", "Memory", "Probes", "Message"].map((t) =>
              h("th", { scope: "col" }, t)
            ),
          ),
        ),
        instances,
      ),
    ),
  );
  update();
  return { element, update };
}
