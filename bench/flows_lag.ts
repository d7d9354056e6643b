/**
 * Flows 2: how late a per-second schedule fires. A flow scheduled every second (`* * * * * *`)
 * runs a task of `true` for N ticks on the real clock; for each tick, the time from the schedule
 * time to the run being started, and to its task's process running, as p50 and p99.
 *
 * Run: `deno run -A bench/flows_lag.ts [--ticks 60]`
 */
import type { FlowEvent } from "../src/domain/flow_events.ts";
import { projectFrom, testFlows } from "../src/testing/flows.ts";
import { row } from "./lib.ts";

const ticks = Number(Deno.args[Deno.args.indexOf("--ticks") + 1]) || 60;

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

const now = () => performance.timeOrigin + performance.now();
const project = await projectFrom(`
flows:
  tick:
    schedule: "* * * * * *"
    tasks: { t: { command: ["true"] } }
`);
const started = new Map<number, number>();
const running = new Map<number, number>();
const done = Promise.withResolvers<void>();
const onEvent = (event: FlowEvent) => {
  const at = now();
  if (event.type === "run" && event.status === "running") started.set(event.run, at);
  if (event.type === "task" && event.state === "running") {
    running.set(event.run, at);
    if (running.size >= ticks) done.resolve();
  }
};
{
  await using t = await testFlows(project.flows, { onEvent });
  t.scheduler.start();
  await done.promise;
  const toStart: number[] = [];
  const toRun: number[] = [];
  for (const [id, at] of started) {
    const scheduled = t.store.run(id)?.scheduledFor;
    if (scheduled === undefined || !running.has(id)) continue;
    toStart.push(at - scheduled);
    toRun.push(running.get(id)! - scheduled);
  }
  const skipped = t.store.runs({ flow: "tick", status: ["skipped"] }).runs.length;
  console.log(`### Flows 2: a schedule every second, ${toStart.length} ticks\n`);
  console.log(row(["from the schedule time to", "p50", "p99", "max"]));
  console.log(row(["---", "---", "---", "---"]));
  for (
    const [what, xs] of [["the run started", toStart], [
      "its task's process running",
      toRun,
    ]] as const
  ) {
    console.log(row([
      what,
      `${percentile(xs, 50).toFixed(1)} ms`,
      `${percentile(xs, 99).toFixed(1)} ms`,
      `${Math.max(...xs).toFixed(1)} ms`,
    ]));
  }
  console.log(
    `\n(the real clock; ${skipped} tick(s) skipped by overlap; no peer here has schedules: n/a)`,
  );
}
