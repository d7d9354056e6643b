/**
 * Scenario 4: a service that exits at once. How many times each tool starts it in the first 10 s,
 * and the delays between starts (each start appends a timestamp to a file).
 *
 * Run: `deno run -A bench/crashloop.ts [--seconds 10]`
 */
import { row, tempDir } from "./lib.ts";
import { type Tool, TOOLS } from "./peers.ts";

const seconds = Number(Deno.args[Deno.args.indexOf("--seconds") + 1]) || 10;

async function once(tool: Tool): Promise<{ starts: number; delays: number[] }> {
  const dir = tempDir("crash");
  const stamps = `${dir}/starts`;
  const running = await tool.start(dir, [{
    name: "crash",
    command: `date +%s%N >> ${stamps}; exit 1`,
  }], { restart: true, stopTimeoutS: 1 });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  await running.stop().catch(() => {});
  await running.kill().catch(() => {});
  let times: number[] = [];
  try {
    times = Deno.readTextFileSync(stamps).trim().split("\n").filter(Boolean).map((t) =>
      Number(t) / 1e6
    );
  } catch {
    // never started
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  const t0 = times[0] ?? 0;
  const first = times.filter((t) => t - t0 <= seconds * 1000);
  return { starts: first.length, delays: first.slice(1).map((t, i) => t - first[i]) };
}

console.log(`### Scenario 4: a service that exits at once, first ${seconds} s\n`);
console.log(row(["tool", "starts", "delays between starts (ms)"]));
console.log(row(["---", "---", "---"]));
for (const tool of TOOLS.filter((t) => t.available())) {
  const { starts, delays } = await once(tool);
  const shown = delays.length > 12
    ? `${delays.slice(0, 6).map((d) => d.toFixed(0)).join(", ")}, … (${delays.length} in all)`
    : delays.map((d) => d.toFixed(0)).join(", ");
  console.log(row([tool.name, String(starts), shown || "-"]));
}
console.log(
  "\n(orch: its default policy, capped exponential backoff from 500 ms with ±20 % jitter; the" +
    " others set to restart)",
);
