/**
 * The benchmark runner: runs each scenario script in turn and prints its table.
 * Scenarios so far: CLI cold start, the TUI under a flood, Docker against docker-compose. The peer scenarios (fan-out, stop, log throughput, crash loop,
 * readiness chain, probe cost) come with the benchmarks issue.
 */
const scenarios = ["cold_start.ts", "tui_flood.ts", "docker_compose.ts"];
for (const scenario of scenarios) {
  console.log(`\n## ${scenario}\n`);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(scenario, import.meta.url).pathname, ...Deno.args],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) Deno.exit(out.code);
}
