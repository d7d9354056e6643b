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
 * Each cycle is reported once, starting at its first node in declaration order. The search keeps its
 * own stack, so that a chain of any length is walked without recursion.
 */
export function findCycles(nodes: readonly string[], edges: Edges): string[][] {
  const known = new Set(nodes);
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const onPath = new Map<string, number>();
  const cycles: string[][] = [];
  const seen = new Set<string>();
  for (const root of nodes) {
    if (state.has(root)) continue;
    // Each frame is a node on the current path and the index of the next edge to follow.
    const frames: { node: string; next: number }[] = [{ node: root, next: 0 }];
    state.set(root, "open");
    onPath.set(root, path.push(root) - 1);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      const targets = edges.get(frame.node) ?? [];
      if (frame.next >= targets.length) {
        frames.pop();
        path.pop();
        onPath.delete(frame.node);
        state.set(frame.node, "done");
        continue;
      }
      const next = targets[frame.next++];
      if (!known.has(next)) continue;
      const mark = state.get(next);
      if (mark === "open") {
        const cycle = [...path.slice(onPath.get(next)), next];
        const key = cycle.slice(0, -1).sort().join("\0");
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (mark === undefined) {
        state.set(next, "open");
        onPath.set(next, path.push(next) - 1);
        frames.push({ node: next, next: 0 });
      }
    }
  }
  return cycles;
}

/**
 * Groups nodes into levels: level 0 depends on nothing, level n only on earlier levels.
 * Nodes on a cycle (or depending on one) are left out; check {@link findCycles} first.
 * Each level lists its nodes in the order of `nodes`. Works without recursion (Kahn's algorithm).
 */
export function topologicalLevels(nodes: readonly string[], edges: Edges): string[][] {
  const known = new Set(nodes);
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const node of known) {
    const deps = new Set((edges.get(node) ?? []).filter((d) => known.has(d)));
    waiting.set(node, deps.size);
    for (const dep of deps) {
      const list = dependents.get(dep);
      if (list) list.push(node);
      else dependents.set(dep, [node]);
    }
  }
  const level = new Map<string, number>();
  const ready = [...known].filter((n) => waiting.get(n) === 0);
  for (const node of ready) level.set(node, 0);
  while (ready.length > 0) {
    const node = ready.pop()!;
    const d = level.get(node)!;
    for (const dependent of dependents.get(node) ?? []) {
      level.set(dependent, Math.max(level.get(dependent) ?? 0, d + 1));
      const left = waiting.get(dependent)! - 1;
      waiting.set(dependent, left);
      if (left === 0) ready.push(dependent);
    }
  }
  const levels: string[][] = [];
  const placed = new Set<string>();
  for (const node of nodes) {
    const d = level.get(node);
    if (d === undefined || waiting.get(node) !== 0 || placed.has(node)) continue;
    placed.add(node);
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
