/**
 * Schedules on a fake clock (real processes for the tasks): DST in two time zones, catch-up after
 * downtime, the overlap policies.
 */
import { assertEquals } from "../assert.ts";
import { FakeClock } from "../../src/testing/clock.ts";
import { projectFrom, testFlows } from "../../src/testing/flows.ts";
import type { RunRecord } from "../../src/domain/flow.ts";
import { within } from "../../src/testing/deadline.ts";

const iso = (ms: number | undefined) => (ms === undefined ? "none" : new Date(ms).toISOString());

Deno.test("schedules fire on the fake clock across DST in New York and Berlin", async () => {
  const project = await projectFrom(`
flows:
  ny:
    schedule: "30 2 * * *"
    timezone: America/New_York
    tasks: { t: { command: "true" } }
  berlin:
    schedule: "0 * * * *"
    timezone: Europe/Berlin
    tasks: { t: { command: "true" } }
`);
  // 2025-03-09 is spring-forward in New York; 2025-10-26 fall-back in Berlin: two runs of clocks.
  for (
    const [start, hours] of [["2025-03-09T05:00:00Z", 27], ["2025-10-25T23:30:00Z", 4]] as const
  ) {
    const clock = new FakeClock(Date.parse(start));
    await using t = await testFlows(project.flows, { clock });
    t.scheduler.start();
    for (let h = 0; h < hours * 4; h++) {
      clock.advance(15 * 60_000);
      await within(t.scheduler.idle(), 30_000, "every run to end");
    }
    const fired = (flow: string) =>
      t.store.runs({ flow }).runs.map((r) => iso(r.scheduledFor)).toReversed();
    if (start.startsWith("2025-03")) {
      assertEquals(fired("ny"), ["2025-03-09T07:00:00.000Z", "2025-03-10T06:30:00.000Z"]);
      assertEquals(
        t.store.runs({ flow: "ny" }).runs.map((r) => [r.trigger.kind, r.status]),
        [["schedule", "succeeded"], ["schedule", "succeeded"]],
      );
    } else {
      assertEquals(fired("berlin"), [
        "2025-10-26T00:00:00.000Z", // 02:00 CEST
        "2025-10-26T02:00:00.000Z", // 03:00 CET; 02:00 CET (01:00Z) is the repeated hour
        "2025-10-26T03:00:00.000Z",
      ]);
    }
    const ny = t.scheduler.status().flows.find((f) => f.name === "ny")!;
    assertEquals(typeof ny.nextFire, "number");
  }
});

function stateOf(runs: readonly RunRecord[]) {
  return runs.map((r) => [r.trigger.kind, r.status, iso(r.scheduledFor)]).toReversed();
}

Deno.test("catch-up after downtime: none, latest, or all within a window, from the last tick", async () => {
  const project = await projectFrom(`
flows:
  none:
    schedule: "*/5 * * * *"
    tasks: { t: { command: "true" } }
  latest:
    schedule: "*/5 * * * *"
    catchUp: latest
    tasks: { t: { command: "true" } }
  all:
    schedule: "*/5 * * * *"
    catchUp: { mode: all, window: 12m }
    tasks: { t: { command: "true" } }
`);
  const dir = await Deno.makeTempDir({ prefix: "orch-catchup-" });
  const clock = new FakeClock(Date.parse("2025-01-01T00:01:00Z"));
  {
    await using t = await testFlows(project.flows, { clock, dir });
    t.scheduler.start();
    assertEquals(t.store.flowMark("all").lastTick, clock.now());
  }
  // orch is down for 31 minutes: 00:05 .. 00:30 are missed.
  clock.advance(31 * 60_000);
  await using t = await testFlows(project.flows, { clock, dir });
  t.scheduler.start();
  await within(t.scheduler.idle(), 30_000, "every run to end");
  assertEquals(stateOf(t.store.runs({ flow: "none" }).runs), []);
  assertEquals(stateOf(t.store.runs({ flow: "latest" }).runs), [
    ["catchup", "succeeded", "2025-01-01T00:30:00.000Z"],
  ]);
  // Only 00:20, 00:25 and 00:30 are within 12 minutes of 00:32; they ran one after another.
  assertEquals(stateOf(t.store.runs({ flow: "all" }).runs), [
    ["catchup", "succeeded", "2025-01-01T00:20:00.000Z"],
    ["catchup", "succeeded", "2025-01-01T00:25:00.000Z"],
    ["catchup", "succeeded", "2025-01-01T00:30:00.000Z"],
  ]);
  assertEquals(t.store.flowMark("latest").lastTick, clock.now());
  await Deno.remove(dir, { recursive: true });
});

const BLOCKING = 'while [ ! -e "$TESTDIR/go" ]; do sleep 0.02; done';

async function overlapRuns(
  policy: string,
  extra = "",
  seen: string[][] = [],
): Promise<string[][]> {
  const project = await projectFrom(`
flows:
  f:
    schedule: "@every 1s"
    overlap: ${policy}
    ${extra}
    tasks: { t: { command: '${BLOCKING}' } }
`);
  const clock = new FakeClock(1_700_000_000_000);
  await using t = await testFlows(project.flows, { clock });
  t.scheduler.start();
  const running = (n: number) =>
    t.events.until(
      () => t.events.events.filter((e) => e.type === "task" && e.state === "running").length >= n,
      `${n} task(s) running`,
    );
  clock.advance(1000);
  await running(1);
  clock.advance(1000);
  if (policy === "allow") await running(2);
  clock.advance(1000);
  await Deno.writeTextFile(`${t.dir}/go`, "");
  await within(t.scheduler.idle(), 30_000, "every run to end");
  for (const id of [1, 2, 3]) seen.push(t.events.runStatuses(id));
  return t.store.runs({ flow: "f" }).runs.toReversed().map((r) => [r.status, r.reason ?? ""]);
}

Deno.test("overlap skip records the skipped run with the reason", async () => {
  const runs = await overlapRuns("skip");
  assertEquals(runs, [
    ["succeeded", ""],
    ["skipped", "overlap: run 1 is still running (overlap policy skip)"],
    ["skipped", "overlap: run 1 is still running (overlap policy skip)"],
  ]);
});

Deno.test("overlap queue runs the later ones after, in order", async () => {
  assertEquals(await overlapRuns("queue"), [["succeeded", ""], ["succeeded", ""], [
    "succeeded",
    "",
  ]]);
});

Deno.test("overlap replace cancels the running run for the new one", async () => {
  assertEquals(await overlapRuns("replace"), [
    ["cancelled", "replaced by run 2"],
    ["cancelled", "replaced by run 3"],
    ["succeeded", ""],
  ]);
});

Deno.test("overlap allow runs up to maxActiveRuns at once, then queues", async () => {
  const seen: string[][] = [];
  assertEquals(await overlapRuns("allow", "maxActiveRuns: 2", seen), [
    ["succeeded", ""],
    ["succeeded", ""],
    ["succeeded", ""],
  ]);
  // Two ran at once (the first blocks until the end); the third waited its turn.
  assertEquals(seen, [
    ["running", "succeeded"],
    ["running", "succeeded"],
    ["queued", "running", "succeeded"],
  ]);
});

Deno.test("a paused flow lets schedule times pass, records events as skipped, stays paused", async () => {
  const project = await projectFrom(`
flows:
  f:
    schedule: "@every 1s"
    events: [go]
    tasks: { t: { command: "true" } }
`);
  const dir = await Deno.makeTempDir({ prefix: "orch-pause-" });
  const clock = new FakeClock(1_700_000_000_000);
  {
    await using t = await testFlows(project.flows, { clock, dir });
    t.scheduler.start();
    t.scheduler.pause("f");
    clock.advance(3000);
    t.scheduler.publish("go");
    assertEquals(stateOf(t.store.runs({ flow: "f" }).runs).map((r) => r.slice(0, 2)), [
      ["event", "skipped"],
    ]);
    assertEquals(t.store.runs({ flow: "f" }).runs[0].reason, "the flow is paused");
    // A manual run is not held back.
    assertEquals((await t.ended(t.scheduler.trigger("f").run.id)).status, "succeeded");
  }
  await using t = await testFlows(project.flows, { clock, dir });
  t.scheduler.start();
  assertEquals(t.scheduler.status().flows[0].paused, true);
  t.scheduler.resume("f");
  clock.advance(1000);
  await within(t.scheduler.idle(), 30_000, "every run to end");
  assertEquals(t.store.runs({ flow: "f" }).runs[0].trigger.kind, "schedule");
  await Deno.remove(dir, { recursive: true });
});
