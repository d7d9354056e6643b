/**
 * A layered layout of a dependency graph, for the dashboard's SVG pictures (the services' graph and
 * a run's task graph): each node goes in the column of its topological level (what it depends on
 * is to its left), an edge that spans several levels passes through a slot in each level between
 * (so that it goes around the nodes there), and the order within each column is improved by
 * barycentre sweeps to cross fewer edges. Pure: nodes in, coordinates out.
 *
 * @module
 */
import { topologicalLevels } from "../domain/mod.ts";

/** A node and the nodes it depends on; an edge is drawn from each dependency to the node. */
export interface GraphNode {
  readonly id: string;
  /** The text in the box; the id when absent. */
  readonly label?: string;
  readonly deps: readonly { readonly target: string; readonly label?: string }[];
}

/** A node placed: its box, top-left corner first. */
export interface PlacedNode {
  readonly id: string;
  readonly label: string;
  /** Its topological level (its column). */
  readonly level: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** An edge placed: from the dependency (`from`) to the dependent (`to`). */
export interface PlacedEdge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  /** The points it passes through, from `from`'s right side to `to`'s left side. */
  readonly points: readonly (readonly [number, number])[];
  /** An SVG path through the points (horizontal cubic curves). */
  readonly path: string;
  /** Where its label goes (its middle). */
  readonly labelAt: readonly [number, number];
}

/** The whole picture. */
export interface Layout {
  readonly width: number;
  readonly height: number;
  readonly nodes: readonly PlacedNode[];
  readonly edges: readonly PlacedEdge[];
}

/** Sizes of the layout, in SVG user units. */
export interface LayoutOptions {
  /** The width of a character of a label. @default 7.5 */
  readonly charWidth?: number;
  /** @default 34 */
  readonly nodeHeight?: number;
  /** Space left and right of a label in its box. @default 14 */
  readonly padding?: number;
  /** @default 64 */
  readonly minWidth?: number;
  /** A longer label is cut with an ellipsis. @default 240 */
  readonly maxWidth?: number;
  /** Between columns. @default 90 */
  readonly levelGap?: number;
  /** Between boxes of a column. @default 18 */
  readonly rowGap?: number;
  /** Around the picture. @default 12 */
  readonly margin?: number;
  /** Sweeps of the ordering. @default 8 */
  readonly sweeps?: number;
}

/** A slot in a column: a node, or a point that an edge passes through. */
interface Slot {
  readonly key: string;
  readonly node?: string;
  order: number;
}

const DEFAULTS = {
  charWidth: 7.5,
  nodeHeight: 34,
  padding: 14,
  minWidth: 64,
  maxWidth: 240,
  levelGap: 90,
  rowGap: 18,
  margin: 12,
  sweeps: 8,
};

/** The label as it fits in `maxChars`: cut with an ellipsis. */
export function fitLabel(label: string, maxChars: number): string {
  const chars = [...label];
  return chars.length <= maxChars
    ? label
    : `${chars.slice(0, Math.max(1, maxChars - 1)).join("")}…`;
}

/**
 * Lays the graph out. Dependencies on unknown nodes are left out; nodes on a cycle (the config
 * loader refuses those, but a picture must not) go in a column after the others.
 */
export function layoutGraph(graph: readonly GraphNode[], options: LayoutOptions = {}): Layout {
  const o = { ...DEFAULTS, ...options };
  const byId = new Map<string, GraphNode>();
  for (const node of graph) if (!byId.has(node.id)) byId.set(node.id, node);
  const ids = [...byId.keys()];
  const deps = new Map<string, string[]>();
  for (const [id, node] of byId) {
    deps.set(id, [...new Set(node.deps.map((d) => d.target))].filter((t) => byId.has(t)));
  }
  const levels = topologicalLevels(ids, deps);
  const levelOf = new Map<string, number>();
  levels.forEach((level, i) => level.forEach((id) => levelOf.set(id, i)));
  const rest = ids.filter((id) => !levelOf.has(id));
  if (rest.length > 0) {
    levels.push(rest);
    for (const id of rest) levelOf.set(id, levels.length - 1);
  }

  // Columns of slots: the nodes, then a slot per edge per level it crosses.
  const columns: Slot[][] = levels.map((level) =>
    level.map((id, i) => ({ key: id, node: id, order: i }))
  );
  interface Chain {
    readonly from: string;
    readonly to: string;
    readonly label: string;
    readonly slots: string[];
  }
  const chains: Chain[] = [];
  const links: [string, string][] = [];
  for (const [id, node] of byId) {
    const seen = new Set<string>();
    for (const dep of node.deps) {
      if (!byId.has(dep.target) || seen.has(dep.target)) continue;
      seen.add(dep.target);
      const a = levelOf.get(dep.target)!;
      const b = levelOf.get(id)!;
      const slots = [dep.target];
      // Only forward edges get slots; an edge within a column or backwards (a cycle) goes straight.
      for (let level = a + 1; level < b; level++) {
        const key = `${dep.target}\u0000${id}\u0000${level}`;
        columns[level].push({ key, order: columns[level].length });
        slots.push(key);
      }
      slots.push(id);
      for (let i = 1; i < slots.length; i++) links.push([slots[i - 1], slots[i]]);
      chains.push({ from: dep.target, to: id, label: dep.label ?? "", slots });
    }
  }
  order(columns, links, o.sweeps);

  // Sizes and coordinates.
  const maxChars = Math.max(1, Math.floor((o.maxWidth - 2 * o.padding) / o.charWidth));
  const labels = new Map(ids.map((id) => [id, fitLabel(byId.get(id)!.label ?? id, maxChars)]));
  const widthOf = (id: string) =>
    Math.min(
      o.maxWidth,
      Math.max(o.minWidth, [...labels.get(id)!].length * o.charWidth + 2 * o.padding),
    );
  const slotHeight = (slot: Slot) => (slot.node !== undefined ? o.nodeHeight : 2);
  const columnHeight = (column: Slot[]) =>
    column.reduce((h, s) => h + slotHeight(s), 0) + Math.max(0, column.length - 1) * o.rowGap;
  const tallest = Math.max(0, ...columns.map(columnHeight));
  const position = new Map<string, { x: number; y: number; width: number; height: number }>();
  let x = o.margin;
  for (const column of columns) {
    const width = Math.max(
      o.minWidth,
      ...column.filter((s) => s.node).map((s) => widthOf(s.node!)),
    );
    let y = o.margin + (tallest - columnHeight(column)) / 2;
    for (const slot of [...column].sort((p, q) => p.order - q.order)) {
      const height = slotHeight(slot);
      // A node's box is centred in its column; an edge's slot spans the column.
      const w = slot.node !== undefined ? widthOf(slot.node) : width;
      position.set(slot.key, { x: x + (width - w) / 2, y, width: w, height });
      y += height + o.rowGap;
    }
    x += width + o.levelGap;
  }
  const width = columns.length ? x - o.levelGap + o.margin : 2 * o.margin;
  const height = tallest + 2 * o.margin;

  const nodes: PlacedNode[] = ids.map((id) => {
    const p = position.get(id)!;
    return { id, label: labels.get(id)!, level: levelOf.get(id)!, ...p };
  });
  const edges: PlacedEdge[] = chains.map((chain) => {
    const points: [number, number][] = [];
    chain.slots.forEach((key, i) => {
      const p = position.get(key)!;
      const y = p.y + p.height / 2;
      if (i > 0) points.push([p.x, y]);
      if (i < chain.slots.length - 1) points.push([p.x + p.width, y]);
    });
    return {
      from: chain.from,
      to: chain.to,
      label: chain.label,
      points,
      path: curve(points),
      labelAt: middle(points),
    };
  });
  return { width: round(width), height: round(height), nodes, edges };
}

/** Reorders each column by the barycentre of its neighbours, down and up, keeping the best. */
function order(columns: Slot[][], links: readonly [string, string][], sweeps: number): void {
  const slot = new Map<string, Slot>();
  for (const column of columns) for (const s of column) slot.set(s.key, s);
  const left = new Map<string, string[]>();
  const right = new Map<string, string[]>();
  for (const [a, b] of links) {
    (right.get(a) ?? right.set(a, []).get(a)!).push(b);
    (left.get(b) ?? left.set(b, []).get(b)!).push(a);
  }
  const snapshot = () => columns.map((c) => c.map((s) => s.order));
  let best = snapshot();
  let fewest = crossingsOf(columns, right, slot);
  for (let sweep = 0; sweep < sweeps && fewest > 0; sweep++) {
    const down = sweep % 2 === 0;
    const range = down
      ? columns.map((_, i) => i).slice(1)
      : columns.map((_, i) => i).reverse().slice(1);
    for (const i of range) {
      const neighbours = down ? left : right;
      const column = columns[i];
      const centre = new Map<string, number>();
      for (const s of column) {
        const near = (neighbours.get(s.key) ?? []).map((k) => slot.get(k)!.order);
        centre.set(s.key, near.length ? near.reduce((a, b) => a + b, 0) / near.length : s.order);
      }
      [...column]
        .sort((p, q) => centre.get(p.key)! - centre.get(q.key)! || p.order - q.order)
        .forEach((s, n) => (s.order = n));
    }
    const crossings = crossingsOf(columns, right, slot);
    if (crossings < fewest) {
      fewest = crossings;
      best = snapshot();
    }
  }
  columns.forEach((c, i) => c.forEach((s, n) => (s.order = best[i][n])));
}

function crossingsOf(
  columns: readonly Slot[][],
  right: ReadonlyMap<string, readonly string[]>,
  slot: ReadonlyMap<string, Slot>,
): number {
  let count = 0;
  for (const column of columns) {
    const pairs: [number, number][] = [];
    for (const s of column) {
      for (const k of right.get(s.key) ?? []) pairs.push([s.order, slot.get(k)!.order]);
    }
    for (let i = 0; i < pairs.length; i++) {
      for (let j = i + 1; j < pairs.length; j++) {
        const [a, b] = pairs[i];
        const [c, d] = pairs[j];
        if ((a - c) * (b - d) < 0) count++;
      }
    }
  }
  return count;
}

/**
 * How many times edges of a layout cross, counting their segments (straight lines between their
 * points) that intersect; segments that share an end (edges from or to one node) do not count.
 */
export function countCrossings(layout: Layout): number {
  type Point = readonly [number, number];
  const segments: [Point, Point][] = [];
  for (const edge of layout.edges) {
    for (let i = 1; i < edge.points.length; i++) {
      segments.push([edge.points[i - 1], edge.points[i]]);
    }
  }
  const turn = (a: Point, b: Point, c: Point) =>
    Math.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]));
  const same = (a: Point, b: Point) => Math.abs(a[0] - b[0]) < 1e-6 && Math.abs(a[1] - b[1]) < 1e-6;
  let count = 0;
  for (let i = 0; i < segments.length; i++) {
    for (let j = i + 1; j < segments.length; j++) {
      const [a, b] = segments[i];
      const [c, d] = segments[j];
      if (same(a, c) || same(a, d) || same(b, c) || same(b, d)) continue;
      if (turn(a, b, c) * turn(a, b, d) < 0 && turn(c, d, a) * turn(c, d, b) < 0) count++;
    }
  }
  return count;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** A path of horizontal cubic curves through the points. */
function curve(points: readonly (readonly [number, number])[]): string {
  if (points.length === 0) return "";
  const [x0, y0] = points[0];
  let d = `M${round(x0)},${round(y0)}`;
  for (let i = 1; i < points.length; i++) {
    const [ax, ay] = points[i - 1];
    const [bx, by] = points[i];
    const bend = Math.max(20, Math.abs(bx - ax) / 2);
    d += ` C${round(ax + bend)},${round(ay)} ${round(bx - bend)},${round(by)} ${round(bx)},${
      round(by)
    }`;
  }
  return d;
}

/** The middle of a path: its middle point, or the middle of its middle segment. */
function middle(points: readonly (readonly [number, number])[]): [number, number] {
  if (points.length === 0) return [0, 0];
  if (points.length % 2 === 1) {
    const [x, y] = points[(points.length - 1) / 2];
    return [round(x), round(y)];
  }
  const [ax, ay] = points[points.length / 2 - 1];
  const [bx, by] = points[points.length / 2];
  return [round((ax + bx) / 2), round((ay + by) / 2)];
}
