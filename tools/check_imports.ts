/**
 * Enforces the dependency directions of STYLE.md by reading every import in `src/`:
 * domain imports nothing; engine never imports an adapter (runtime, probe, api, tui, cli, store);
 * api, tui, web and store never import one another; only cli and main.ts know the concrete adapters.
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
  api: ["domain", "api"],
  export: ["domain", "export"],
  tui: ["domain", "tui"],
  web: ["domain", "web"],
  cli: [
    "domain",
    "config",
    "engine",
    "log",
    "probe",
    "runtime",
    "schedule",
    "store",
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
for (const file of await walk(root.replace(/\/$/, ""))) {
  const rel = file.slice(root.length);
  const layer = rel.includes("/") ? rel.split("/")[0] : "root";
  const text = await Deno.readTextFile(file);
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
    const targetLayer = target.slice(root.length).split("/")[0].replace(/\.ts$/, "");
    if (targetLayer === "version") continue;
    const allowed = ALLOWED[layer];
    if (allowed && !allowed.includes(targetLayer)) {
      problems.push(`${rel}: ${layer} must not import ${targetLayer} (${spec})`);
    }
  }
}
if (problems.length > 0) {
  console.error(`import graph: ${problems.length} violation(s)\n  ${problems.join("\n  ")}`);
  Deno.exit(1);
}
console.log("import graph: dependency directions hold");
