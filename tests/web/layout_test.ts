import { assert, assertEquals } from "../assert.ts";
import {
  countCrossings,
  fitLabel,
  type GraphNode,
  type Layout,
  layoutGraph,
  type PlacedNode,
} from "../../src/web/layout.ts";

const node = (id: string, ...deps: (string | [string, string])[]): GraphNode => ({
  id,
  deps: deps.map((d) => (typeof d === "string" ? { target: d } : { target: d[0], label: d[1] })),
});

const byId = (layout: Layout) => new Map(layout.nodes.map((n) => [n.id, n]));

function overlaps(a: PlacedNode, b: PlacedNode): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height &&
    b.y < a.y + a.height;
}

Deno.test("layoutGraph puts each node in the column of its topological level", () => {
  const layout = layoutGraph([
    node("web", "api"),
    node("api", "db", "cache"),
    node("db"),
    node("cache"),
  ]);
  const at = byId(layout);
  assertEquals(
    ["db", "cache", "api", "web"].map((id) => at.get(id)!.level),
    [0, 0, 1, 2],
  );
  assert(at.get("db")!.x + at.get("db")!.width < at.get("api")!.x, "db is left of api");
  assert(at.get("api")!.x + at.get("api")!.width < at.get("web")!.x, "api is left of web");
  for (const n of layout.nodes) {
    assert(n.x >= 0 && n.y >= 0, `${n.id} is inside the picture`);
    assert(n.x + n.width <= layout.width && n.y + n.height <= layout.height, `${n.id} fits`);
  }
});

Deno.test("layoutGraph never overlaps two boxes", () => {
  const graph = [node("a"), node("b"), node("c"), node("d", "a", "b", "c"), node("e", "a")];
  for (let i = 0; i < 20; i++) graph.push(node(`n${i}`, i % 2 ? "d" : "e"));
  const layout = layoutGraph(graph);
  for (const a of layout.nodes) {
    for (const b of layout.nodes) {
      if (a !== b) assert(!overlaps(a, b), `${a.id} and ${b.id} overlap`);
    }
  }
});

Deno.test("an edge goes from its dependency's right side to its dependent's left side", () => {
  const layout = layoutGraph([node("db"), node("api", ["db", "ready"])]);
  const at = byId(layout);
  assertEquals(layout.edges.length, 1);
  const [edge] = layout.edges;
  assertEquals([edge.from, edge.to, edge.label], ["db", "api", "ready"]);
  const db = at.get("db")!;
  const api = at.get("api")!;
  assertEquals(edge.points[0], [db.x + db.width, db.y + db.height / 2]);
  assertEquals(edge.points.at(-1), [api.x, api.y + api.height / 2]);
  assert(edge.path.startsWith(`M${db.x + db.width},${db.y + db.height / 2} C`), edge.path);
  const [lx] = edge.labelAt;
  assert(lx > db.x + db.width && lx < api.x, "the label is between the boxes");
});

Deno.test("an edge over several levels goes around the nodes of the levels between", () => {
  // c depends on a directly and through b: the a -> c edge crosses b's column.
  const layout = layoutGraph([node("a"), node("b", "a"), node("c", "b", "a"), node("x", "a")]);
  const at = byId(layout);
  const long = layout.edges.find((e) => e.from === "a" && e.to === "c")!;
  assertEquals(long.points.length, 4, "enters and leaves the middle column");
  const [, enter, leave] = long.points;
  assertEquals(enter[1], leave[1], "straight through the column");
  for (const id of ["b", "x"]) {
    const n = at.get(id)!;
    assert(
      !(enter[1] >= n.y && enter[1] <= n.y + n.height && enter[0] <= n.x + n.width &&
        leave[0] >= n.x),
      `the a -> c edge passes through ${id}'s box`,
    );
  }
});

Deno.test("ordering within a column removes crossings the declaration order has", () => {
  // Declared so that the first dependent depends on the second dependency: crossing lines.
  const graph = [
    node("a"),
    node("b"),
    node("c"),
    node("z", "c"),
    node("y", "b"),
    node("x", "a"),
  ];
  const layout = layoutGraph(graph);
  assertEquals(countCrossings(layout), 0);
  const without = layoutGraph(graph, { sweeps: 0 });
  assert(countCrossings(without) > 0, "the declared order crosses");
});

Deno.test("countCrossings counts each crossing once and not edges that share a node", () => {
  const layout: Layout = {
    width: 100,
    height: 100,
    nodes: [],
    edges: [
      { from: "a", to: "b", label: "", points: [[0, 0], [10, 10]], path: "", labelAt: [0, 0] },
      { from: "c", to: "d", label: "", points: [[0, 10], [10, 0]], path: "", labelAt: [0, 0] },
      { from: "a", to: "e", label: "", points: [[0, 0], [10, 5]], path: "", labelAt: [0, 0] },
    ],
  };
  // a->b and c->d cross, a->e crosses c->d; a->b and a->e share a.
  assertEquals(countCrossings(layout), 2);
});

Deno.test("nodes on a cycle get a column of their own and their edges are kept", () => {
  const layout = layoutGraph([node("ok"), node("p", "q", "ok"), node("q", "p")]);
  const at = byId(layout);
  assertEquals(at.get("ok")!.level, 0);
  assertEquals(at.get("p")!.level, at.get("q")!.level);
  assert(at.get("p")!.level > 0);
  assertEquals(layout.edges.map((e) => `${e.from}>${e.to}`).sort(), ["ok>p", "p>q", "q>p"]);
  for (const edge of layout.edges) assert(edge.points.length >= 2, "every edge has a path");
});

Deno.test("unknown and repeated dependencies are left out; ids that are object keys are kept", () => {
  const layout = layoutGraph([
    node("__proto__"),
    node("constructor", "__proto__", "__proto__", "nowhere"),
  ]);
  assertEquals(layout.nodes.map((n) => n.id), ["__proto__", "constructor"]);
  assertEquals(layout.edges.map((e) => [e.from, e.to]), [["__proto__", "constructor"]]);
});

Deno.test("a long label is cut with an ellipsis within maxWidth", () => {
  assertEquals(fitLabel("short", 10), "short");
  assertEquals(fitLabel("a-very-long-service-name", 10), "a-very-lo…");
  const layout = layoutGraph([{ id: "x", label: "n".repeat(200), deps: [] }], { maxWidth: 100 });
  const [n] = layout.nodes;
  assert(n.width <= 100 && n.width > 80, `width ${n.width}`);
  assert(n.label.endsWith("…"), n.label);
});

Deno.test("an empty graph is an empty picture; the same graph is laid out the same", () => {
  const empty = layoutGraph([]);
  assertEquals([empty.nodes.length, empty.edges.length], [0, 0]);
  assert(empty.width > 0 && empty.height > 0);
  const graph = [node("a"), node("b", "a"), node("c", "a"), node("d", "b", "c")];
  assertEquals(layoutGraph(graph), layoutGraph(graph));
});
