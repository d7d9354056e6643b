/**
 * The dependency graph: cycle detection that names the whole cycle, and topological levels used to
 * start in order and stop in reverse.
 *
 * @module
 */

/** Edges as `node -> nodes it depends on`. */
export type Edges = ReadonlyMap<string, readonly string[]>;

/**
 * Every elementary cycle found by depth-first search, each as a closed path `[a, b, c, a]`.
 * Each cycle is reported once, starting at its first node in declaration order.
 */
export function findCycles(nodes: readonly string[], edges: Edges): string[][] {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (!nodes.includes(next)) continue;
      const mark = state.get(next);
      if (mark === "open") {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        const key = [...cycle.slice(0, -1)].sort().join("\0");
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (mark === undefined) {
        visit(next);
      }
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of nodes) if (!state.has(node)) visit(node);
  return cycles;
}

/**
 * Groups nodes into levels: level 0 depends on nothing, level n only on earlier levels.
 * Nodes on a cycle (or depending on one) are left out; check {@link findCycles} first.
 */
export function topologicalLevels(nodes: readonly string[], edges: Edges): string[][] {
  const known = new Set(nodes);
  const level = new Map<string, number>();
  const resolving = new Set<string>();
  const depth = (node: string): number => {
    const cached = level.get(node);
    if (cached !== undefined) return cached;
    if (resolving.has(node)) return NaN;
    resolving.add(node);
    let d = 0;
    for (const dep of edges.get(node) ?? []) {
      if (!known.has(dep)) continue;
      d = Math.max(d, depth(dep) + 1);
    }
    resolving.delete(node);
    level.set(node, d);
    return d;
  };
  const levels: string[][] = [];
  for (const node of nodes) {
    const d = depth(node);
    if (Number.isNaN(d)) continue;
    (levels[d] ??= []).push(node);
  }
  return levels.filter((l) => l !== undefined);
}

/** Nodes that depend on `node`, directly or transitively. */
export function dependentsOf(node: string, edges: Edges): Set<string> {
  const reverse = new Map<string, string[]>();
  for (const [from, tos] of edges) {
    for (const to of tos) (reverse.get(to) ?? reverse.set(to, []).get(to)!).push(from);
  }
  const out = new Set<string>();
  const queue = [node];
  while (queue.length) {
    for (const next of reverse.get(queue.pop()!) ?? []) {
      if (!out.has(next)) {
        out.add(next);
        queue.push(next);
      }
    }
  }
  return out;
}
