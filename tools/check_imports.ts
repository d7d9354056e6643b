/**
 * Enforces the dependency directions of STYLE.md by reading every import in `src/`:
 * domain imports nothing; engine never imports an adapter (runtime, probe, api, tui, cli, store);
 * api, tui, web and store never import one another; only cli and main.ts know the concrete adapters.
 * It also fails on an import cycle between modules (type-only and dynamic imports included): each
 * module's dependencies must form a tree that can be read from the bottom up; and on an import
 * from another layer that does not go through the target folder's `mod.ts`, its public face.
 *
 * `--fix` rewrites such imports to go through the face (merging those of one file into one
 * declaration), for when a merge brings some back: run it, then `deno fmt`.
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
  web: ["domain", "control", "web"],
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
    "web",
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

/** Whether a file exists. */
function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The layer of a path relative to `src/`: its top folder (`root` for a file at the top). */
const layerOf = (rel: string) => (rel.includes("/") ? rel.split("/")[0] : "root");

/** The public face of the folder `rel` is in: its `mod.ts` (relative to `src/`). */
const faceOf = (rel: string) => `${rel.slice(0, rel.lastIndexOf("/"))}/mod.ts`;

/** Whether importing `to` from `from` must go through a face, and which. */
function faceNeeded(from: string, to: string): string | undefined {
  // The dashboard's page is a program of its own, bundled for the browser: it picks what it
  // bundles file by file.
  if (from.startsWith("web/page/")) return undefined;
  if (layerOf(from) === layerOf(to) || !to.includes("/") || to.endsWith("/mod.ts")) {
    return undefined;
  }
  return faceOf(to);
}

const fixing = Deno.args.includes("--fix");
const files = (await walk(root.replace(/\/$/, ""))).sort();
if (fixing) {
  for (const file of files) await fixFaces(file);
}

/** Each module of `src/` (relative path) -> the modules of `src/` it imports. */
const graph = new Map<string, string[]>();
for (const file of files) {
  const rel = file.slice(root.length);
  const layer = layerOf(rel);
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
    const face = faceNeeded(rel, target.slice(root.length));
    if (face) {
      problems.push(
        exists(`${root}${face}`)
          ? `${rel}: imports ${spec} from another layer; import it through ${face}`
          : `${rel}: imports ${spec} from another layer, and its folder has no face (${face})`,
      );
    }
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

/** A path from `file`'s folder to `target` (both absolute), as an import specifier. */
function relativeSpec(file: string, target: string): string {
  const from = file.slice(0, file.lastIndexOf("/")).split("/");
  const to = target.split("/");
  let common = 0;
  while (common < from.length && from[common] === to[common]) common++;
  const up = from.length - common;
  const rest = to.slice(common).join("/");
  return up === 0 ? `./${rest}` : `${"../".repeat(up)}${rest}`;
}

/**
 * Rewrites `file`'s imports from other layers to go through their faces: `import`/`export`
 * declarations of names (merged, per face, into one) and dynamic imports.
 */
async function fixFaces(file: string): Promise<void> {
  const rel = file.slice(root.length);
  const text = await Deno.readTextFile(file);
  const declaration =
    /^(import|export)(\s+type)?\s*\{([^}]*)\}\s*from\s*["']([^"']+)["'];?[ \t]*\n/gm;
  type Found = { start: number; end: number; kind: string; names: string[]; face: string };
  const found: Found[] = [];
  for (const m of text.matchAll(declaration)) {
    const [whole, kind, typeOnly, list, spec] = m;
    if (!spec.startsWith(".")) continue;
    const target = new URL(spec, `file://${file}`).pathname;
    if (!target.startsWith(root)) continue;
    const targetRel = target.slice(root.length);
    const face = faceNeeded(rel, targetRel) ??
      (targetRel.endsWith("/mod.ts") && layerOf(rel) !== layerOf(targetRel)
        ? targetRel
        : undefined);
    // A folder without a face yet is left as it is (the check says so).
    if (!face || !exists(`${root}${face}`)) continue;
    const names = list.split(",").map((n) => n.trim()).filter(Boolean)
      .map((n) => (typeOnly && !n.startsWith("type ") ? `type ${n}` : n));
    found.push({ start: m.index!, end: m.index! + whole.length, kind, names, face });
  }
  let fixed = text;
  const groups = new Map<string, Found[]>();
  for (const f of found) {
    const key = `${f.kind} ${f.face}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const edits: { start: number; end: number; text: string }[] = [];
  for (const group of groups.values()) {
    const names = [...new Set(group.flatMap((g) => g.names))];
    // A name imported both as a type and as a value is a value.
    const values = new Set(names.filter((n) => !n.startsWith("type ")));
    const merged = names.filter((n) => !(n.startsWith("type ") && values.has(n.slice(5))))
      .sort((a, b) => a.replace(/^type /, "").localeCompare(b.replace(/^type /, "")));
    const allTypes = merged.every((n) => n.startsWith("type "));
    const list = allTypes ? merged.map((n) => n.slice(5)) : merged;
    const spec = relativeSpec(file, `${root}${group[0].face}`);
    const line = `${group[0].kind}${allTypes ? " type" : ""} { ${
      list.join(", ")
    } } from "${spec}";\n`;
    group.forEach((g, i) => edits.push({ start: g.start, end: g.end, text: i === 0 ? line : "" }));
  }
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    fixed = fixed.slice(0, edit.start) + edit.text + fixed.slice(edit.end);
  }
  fixed = fixed.replace(/import\((["'])([^"']+)\1\)/g, (call, quote, spec: string) => {
    if (!spec.startsWith(".")) return call;
    const target = new URL(spec, `file://${file}`).pathname;
    if (!target.startsWith(root)) return call;
    const face = faceNeeded(rel, target.slice(root.length));
    return face && exists(`${root}${face}`)
      ? `import(${quote}${relativeSpec(file, `${root}${face}`)}${quote})`
      : call;
  });
  if (fixed !== text) await Deno.writeTextFile(file, fixed);
}

for (const component of cycles(graph)) {
  problems.push(`import cycle: ${component.join(" -> ")} (each imports another of them)`);
}

if (problems.length > 0) {
  console.error(`import graph: ${problems.length} violation(s)\n  ${problems.join("\n  ")}`);
  Deno.exit(1);
}
console.log("import graph: dependency directions hold, no cycles");
