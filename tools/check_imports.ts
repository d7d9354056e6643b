/**
 * Enforces the dependency directions of STYLE.md by reading every import in `src/`:
 * domain imports nothing; engine never imports an adapter (runtime, probe, api, tui, cli, store);
 * api, tui and store never import one another; only cli and main.ts know the concrete adapters.
 * It also fails on an import cycle between modules (type-only and dynamic imports included): each
 * module's dependencies must form a tree that can be read from the bottom up.
 */
const ALLOWED: Record<string, string[]> = {
  domain: ["domain"],
  config: ["domain", "config"],
  engine: ["domain", "engine"],
  log: ["domain", "log"],
  probe: ["domain", "engine", "probe"],
  runtime: ["domain", "engine", "runtime"],
  schedule: ["domain", "engine", "schedule"],
  store: ["domain", "store"],
  control: ["domain", "control"],
  api: ["domain", "control", "api"],
  export: ["domain", "export"],
  tui: ["domain", "control", "tui"],
  cli: [
    "domain",
    "config",
    "engine",
    "log",
    "probe",
    "runtime",
    "schedule",
    "store",
    "control",
    "api",
    "tui",
    "export",
    "cli",
  ],
  testing: [
    "domain",
    "config",
    "engine",
    "log",
    "probe",
    "runtime",
    "schedule",
    "store",
    "control",
    "api",
    "tui",
    "cli",
    "testing",
  ],
};

const root = new URL("../src/", import.meta.url).pathname;
const problems: string[] = [];
async function walk(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...await walk(path));
    else if (entry.name.endsWith(".ts")) files.push(path);
  }
  return files;
}

/** Each module of `src/` (relative path) -> the modules of `src/` it imports. */
const graph = new Map<string, string[]>();
for (const file of (await walk(root.replace(/\/$/, ""))).sort()) {
  const rel = file.slice(root.length);
  const layer = rel.includes("/") ? rel.split("/")[0] : "root";
  const text = await Deno.readTextFile(file);
  const edges: string[] = [];
  graph.set(rel, edges);
  for (
    const match of text.matchAll(
      /^\s*(?:import|export)[^"';]*?from\s+["']([^"']+)["']|import\(["']([^"']+)["']\)/gm,
    )
  ) {
    const spec = match[1] ?? match[2];
    if (!spec.startsWith(".")) {
      if (layer === "domain") problems.push(`${rel}: domain imports the package "${spec}"`);
      continue;
    }
    const target = new URL(spec, `file://${file}`).pathname;
    if (!target.startsWith(root)) continue;
    edges.push(target.slice(root.length));
    const targetLayer = target.slice(root.length).split("/")[0].replace(/\.ts$/, "");
    if (targetLayer === "version") continue;
    const allowed = ALLOWED[layer];
    if (allowed && !allowed.includes(targetLayer)) {
      problems.push(`${rel}: ${layer} must not import ${targetLayer} (${spec})`);
    }
  }
}

/** The cycles of the graph: one path per strongly connected component of more than one module. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    const self = (graph.get(v) ?? []).includes(v);
    if (component.length > 1 || self) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

for (const component of cycles(graph)) {
  problems.push(`import cycle: ${component.join(" -> ")} (each imports another of them)`);
}

if (problems.length > 0) {
  console.error(`import graph: ${problems.length} violation(s)\n  ${problems.join("\n  ")}`);
  Deno.exit(1);
}
console.log("import graph: dependency directions hold, no cycles");
