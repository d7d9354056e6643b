/**
 * The benchmark runner: runs every scenario in turn (orch beside supervisord, s6, pm2 and
 * concurrently where they can do it, and beside tini and dumb-init as PID 1), prints the tables,
 * and writes them with the date, the machine and the versions to bench/RESULTS.md; then draws
 * them (bench/report.ts): one SVG chart a scenario in bench/charts/ and the README's table. Peers
 * come from `bench/setup.sh`.
 *
 * Run: `deno task bench` (add `--quick` for one round each).
 */
import { TOOLS } from "./peers.ts";
import { report } from "./report.ts";

const quick = Deno.args.includes("--quick");
const scenarios: [string, string[]][] = [
  ["fanout.ts", quick ? ["--rounds", "1", "--idle", "10"] : ["--rounds", "3", "--idle", "30"]],
  ["logs.ts", quick ? ["--rounds", "1"] : ["--rounds", "3"]],
  ["crashloop.ts", []],
  ["chain.ts", quick ? ["--rounds", "3"] : ["--rounds", "5"]],
  ["cold_start.ts", quick ? ["--rounds", "5"] : ["--rounds", "11"]],
  ["probes.ts", quick ? ["--seconds", "10"] : ["--seconds", "30"]],
  ["tui_flood.ts", []],
  ["docker_compose.ts", quick ? ["--rounds", "1"] : ["--rounds", "3"]],
  ["flows_dag.ts", quick ? ["--rounds", "1"] : ["--rounds", "3"]],
  ["flows_lag.ts", ["--ticks", "60"]],
  ["flows_history.ts", ["--runs", "100000"]],
  ["pid1.ts", quick ? ["--rounds", "1"] : ["--rounds", "3"]],
];

async function text(command: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "null" }).output();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return "";
  }
}

const cpu = (await text("sh", ["-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"])).trim();
const cores = await text("nproc", []);
const memory = await text("sh", ["-c", "free -m | awk '/Mem:/ {print $2}'"]);
const versions = [`deno ${Deno.version.deno}`];
for (const tool of TOOLS.filter((t) => t.available())) {
  versions.push(await tool.version().catch(() => `${tool.name} ?`));
}
const header = [
  "# Benchmark results",
  "",
  `Run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC with \`deno task bench\`` +
  (quick ? " (--quick: one round each)" : "") + ".",
  `Machine: ${cpu || "?"}, ${cores} cores, ${memory} MiB. Versions: ${versions.join(", ")}.`,
  "",
  "Every number comes from one run of the scenarios on this machine: ratios are within the run.",
  "",
].join("\n");
console.log(header);
const sections: string[] = [header];
for (const [script, args] of scenarios) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(script, import.meta.url).pathname, ...args],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  let body = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) body += `\n\n(${script} failed with exit code ${out.code})`;
  if (!body.startsWith("###")) body = `### ${script}\n\n${body}`;
  console.log(`\n${body}\n`);
  sections.push(body, "");
}
const results = new URL("RESULTS.md", import.meta.url).pathname;
await Deno.writeTextFile(results, sections.join("\n") + "\n");
// Keep the repository's formatting check clean.
await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", results] }).output();
console.log("written to bench/RESULTS.md");
const written = await report(results, new URL("../", import.meta.url));
console.log(`drew ${written.length} charts in bench/charts/ and the README's table`);
