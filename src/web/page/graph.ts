/// <reference lib="dom" />
/**
 * Graphs as SVG pictures: the services' dependency graph (nodes coloured by live state, edges
 * labelled with the condition, a node a link to its service), and the same drawing for a run's
 * task graph.
 *
 * @module
 */
import { type GraphNode, type Layout, layoutGraph } from "../layout.ts";
import type { Context, View } from "./context.ts";
import { type Child, fill, h, s } from "./dom.ts";

/** How a graph is drawn: each node's state class and link. */
export interface Drawing {
  readonly label: string;
  readonly stateOf: (id: string) => string | undefined;
  readonly hrefOf?: (id: string) => string | undefined;
  readonly onPick?: (id: string) => void;
}

/** Draws a laid-out graph. */
export function drawGraph(layout: Layout, drawing: Drawing): SVGSVGElement {
  const arrow = s(
    "marker",
    {
      id: "arrow",
      viewBox: "0 0 10 10",
      refX: 9,
      refY: 5,
      markerWidth: 7,
      markerHeight: 7,
      orient: "auto-start-reverse",
    },
    s("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }),
  );
  const edges: Child[] = layout.edges.map((edge) =>
    s(
      "g",
      { class: `edge on-${edge.label || "none"}` },
      s("path", { d: edge.path, "marker-end": "url(#arrow)" }),
      edge.label
        ? s("text", {
          x: edge.labelAt[0],
          y: edge.labelAt[1] - 4,
          "text-anchor": "middle",
          class: "edge-label",
        }, edge.label)
        : null,
    )
  );
  const nodes: Child[] = layout.nodes.map((node) => {
    const state = drawing.stateOf(node.id) ?? "unknown";
    const box = [
      s("rect", { x: node.x, y: node.y, width: node.width, height: node.height, rx: 6 }),
      s("text", {
        x: node.x + node.width / 2,
        y: node.y + node.height / 2 + 4,
        "text-anchor": "middle",
      }, node.label),
      s("title", {}, `${node.id}: ${state}`),
    ];
    const href = drawing.hrefOf?.(node.id);
    const cls = `node state-${state}`;
    if (href) {
      return s(
        "a",
        { href, class: cls, "data-id": node.id, "aria-label": `${node.id}, ${state}` },
        box,
      );
    }
    const g = s("g", {
      class: cls,
      tabindex: 0,
      role: "button",
      "aria-label": `${node.id}, ${state}`,
    }, box);
    if (drawing.onPick) {
      const pick = drawing.onPick;
      g.addEventListener("click", () => pick(node.id));
      g.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          pick(node.id);
        }
      });
    }
    return g;
  });
  return s(
    "svg",
    {
      class: "graph",
      viewBox: `0 0 ${layout.width} ${layout.height}`,
      width: layout.width,
      height: layout.height,
      role: "img",
      "aria-label": drawing.label,
    },
    s("defs", {}, arrow),
    edges,
    nodes,
  );
}

/** The services' graph from their definitions: an edge for each dependency, with its condition. */
export function servicesGraph(context: Context): GraphNode[] {
  return context.services.map((service) => ({
    id: service.name,
    deps: service.dependencies?.map((d) => ({ target: d.target, label: d.condition })) ??
      service.dependsOn.map((target) => ({ target })),
  }));
}

/** The graph view. */
export function graphView(context: Context): View {
  const holder = h("div", { class: "graph-wrap" });
  let svg: SVGSVGElement | undefined;
  let drawnFor = "";
  const stateOf = (id: string) => context.status?.services.find((x) => x.service === id)?.state;
  const update = () => {
    const graph = servicesGraph(context);
    const key = JSON.stringify(graph);
    if (key !== drawnFor || !svg) {
      drawnFor = key;
      svg = drawGraph(layoutGraph(graph), {
        label: "Dependency graph of the services",
        stateOf,
        hrefOf: (id) => `#/services/${encodeURIComponent(id)}`,
      });
      fill(holder, graph.length ? svg : h("p", {}, "No services."));
      return;
    }
    // Only the colours change with the states.
    for (const node of svg.querySelectorAll<SVGElement>(".node")) {
      const id = node.dataset.id ?? "";
      const state = stateOf(id) ?? "unknown";
      node.setAttribute("class", `node state-${state}`);
      node.setAttribute("aria-label", `${id}, ${state}`);
      const title = node.querySelector("title");
      if (title) title.textContent = `${id}: ${state}`;
    }
  };
  const legend = h(
    "p",
    { class: "legend" },
    [
      "ready",
      "running",
      "starting",
      "waiting",
      "backoff",
      "failed",
      "completed",
      "stopped",
      "pending",
    ].map((state) => h("span", { class: `chip badge-${state}` }, state)),
  );
  const element = h(
    "section",
    { class: "view graph-view", "aria-labelledby": "graph-title" },
    h("div", { class: "toolbar" }, h("h1", { id: "graph-title" }, "Dependency graph"), legend),
    h(
      "p",
      { class: "hint" },
      "An arrow goes from a dependency to what depends on it, labelled with what it waits for. Select a service to open it.",
    ),
    holder,
  );
  update();
  return { element, update };
}
