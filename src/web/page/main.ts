/// <reference lib="dom" />
/**
 * The dashboard's entry: the session (or the login form), the header and navigation, the router
 * over the address's hash, and the live status: the events (SSE) ask for a new status on every
 * change, and a slower poll keeps CPU and memory current.
 *
 * @module
 */
import { Api, type SessionInfo } from "./api.ts";
import type { Context, FlowEventData, ServiceInfo, StatusBody, View } from "./context.ts";
import { fill, h, setText } from "./dom.ts";
import { flowsView, runsView } from "./flows.ts";
import { graphView } from "./graph.ts";
import { logsView } from "./logs.ts";
import { runView } from "./run.ts";
import { servicesView, serviceView } from "./services.ts";

const api = new Api();
const root = document.getElementById("app")!;
const POLL_MS = 3000;

function loginForm(problem?: string): void {
  const input = h("input", {
    type: "password",
    name: "token",
    autocomplete: "current-password",
    "aria-label": "Token",
    required: true,
  });
  const message = h("p", { class: "problem", role: "alert" }, problem ?? "");
  const form = h(
    "form",
    {
      class: "login stack",
      on: {
        submit: async (e) => {
          e.preventDefault();
          try {
            start(await api.login(input.value));
          } catch (error) {
            setText(message, (error as Error).message);
          }
        },
      },
    },
    h("h1", {}, "orch"),
    h(
      "p",
      {},
      "Open the login URL that ",
      h("code", {}, "orch ui"),
      " prints, or paste the admin or read-only token of this orch (",
      h("code", {}, ".orch/tokens.json"),
      ").",
    ),
    h("label", {}, "Token ", input),
    h("button", { class: "primary" }, "Log in"),
    message,
  );
  fill(root, h("main", { class: "login-page" }, form));
  input.focus();
}

function start(session: SessionInfo): void {
  let status: StatusBody | undefined;
  let statusAt = 0;
  let services: ServiceInfo[] = [];
  let view: View | undefined;
  const flowListeners = new Set<(e: FlowEventData) => void>();
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  let inflight = false;
  let again = false;

  const stackName = h("span", { class: "stack-name" }, "orch");
  const live = h("span", { class: "live", role: "status" }, "connecting…");
  const nav = h("nav", { "aria-label": "Views" });
  const main = h("main", { id: "main", tabindex: -1 });

  const fetchStatus = async () => {
    if (inflight) {
      again = true;
      return;
    }
    inflight = true;
    try {
      status = await api.json<StatusBody>("GET", "/v1/status");
      statusAt = Date.now();
      setText(
        stackName,
        `orch · ${status.stack}${status.phase === "stopping" ? " (stopping)" : ""}`,
      );
      document.title = `orch · ${status.stack}`;
      view?.update?.();
    } catch (error) {
      setText(live, `status: ${(error as Error).message}`);
    } finally {
      inflight = false;
      if (again) {
        again = false;
        void fetchStatus();
      }
    }
  };
  const poll = () => {
    void fetchStatus().finally(() => (pollTimer = setTimeout(poll, POLL_MS)));
  };

  const context: Context = {
    api,
    access: session.access,
    get status() {
      return status;
    },
    now: () => (status ? status.now + (Date.now() - statusAt) : Date.now()),
    get services() {
      return services;
    },
    refresh: () => {
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(() => void fetchStatus(), 100);
    },
    reloadServices: async () => {
      services = (await api.json<{ services: ServiceInfo[] }>("GET", "/v1/services")).services;
      view?.update?.();
    },
    onFlowEvent: (listener) => {
      flowListeners.add(listener);
      return () => flowListeners.delete(listener);
    },
    go: (route) => {
      location.hash = `#/${route}`;
    },
  };

  const routes: [string, string][] = [
    ["services", "Services"],
    ["graph", "Graph"],
    ["logs", "Logs"],
    ["flows", "Flows"],
    ["runs", "Runs"],
  ];
  fill(
    nav,
    routes.map(([route, label]) => h("a", { href: `#/${route}`, "data-route": route }, label)),
  );

  const route = () => {
    const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
    const params = new URLSearchParams(query);
    const parts = path.split("/").map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
    view?.dispose?.();
    const top = parts[0] || "services";
    if (top === "services" && parts[1]) view = serviceView(context, parts[1]);
    else if (top === "graph") view = graphView(context);
    else if (top === "logs") {
      view = logsView(context, { service: params.get("service") ?? undefined });
    } else if (top === "flows") view = flowsView(context);
    else if (top === "runs" && parts[1]) view = runView(context, parts[1]);
    else if (top === "runs") {
      view = runsView(context, {
        flow: params.get("flow") ?? undefined,
        status: params.get("status") ?? undefined,
      });
    } else view = servicesView(context);
    for (const link of nav.querySelectorAll("a")) {
      if (link.dataset.route === top) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    fill(main, view.element);
  };

  const logout = h("button", {
    type: "button",
    on: {
      click: async () => {
        await api.logout().catch(() => {});
        location.reload();
      },
    },
  }, "Log out");
  fill(
    root,
    h("a", {
      class: "skip",
      href: "#main",
      on: { click: (e) => (e.preventDefault(), main.focus()) },
    }, "Skip to the content"),
    h(
      "header",
      { class: "top" },
      stackName,
      nav,
      h("span", { class: "spacer" }),
      live,
      h("span", {
        class: `access access-${session.access}`,
        title: session.access === "read" ? "this session sees everything and changes nothing" : "",
      }, session.access === "admin" ? "admin" : "read-only"),
      logout,
    ),
    main,
  );

  api.onUnauthorized = () => {
    clearTimeout(pollTimer);
    stopEvents();
    view?.dispose?.();
    loginForm("The session has ended; log in again.");
  };
  const stopEvents = api.events(
    ["state", "exited", "rollout", "stack", "probe", "run", "task"],
    (type, data) => {
      if (type === "run" || type === "task") {
        for (const listener of flowListeners) listener(data as FlowEventData);
        return;
      }
      if (type !== "probe") context.refresh();
    },
    (open) => setText(live, open ? "● live" : "reconnecting…"),
  );
  addEventListener("hashchange", route);
  void context.reloadServices().catch(() => {}).finally(() => {
    route();
    poll();
  });
}

async function boot(): Promise<void> {
  try {
    const session = await api.session();
    if (session) start(session);
    else loginForm();
  } catch (error) {
    loginForm(`orch did not answer: ${(error as Error).message}`);
  }
}

void boot();
