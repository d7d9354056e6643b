import { assertEquals } from "../assert.ts";
import {
  elapsed,
  groupAttempts,
  parseFlows,
  parseRunDetail,
  parseRuns,
  parseScheduler,
  taskGraph,
  toMs,
} from "../../src/web/flows_model.ts";

const RUN = {
  id: 4,
  flow: "etl",
  status: "running",
  trigger: { kind: "manual", detail: "api" },
  payload: { day: "monday" },
  queuedAt: 1000,
  startedAt: "1970-01-01T00:00:02.000Z",
};

Deno.test("flows: schedules, next runs soonest first, paused, the last run", () => {
  const flows = parseFlows({
    flows: [
      {
        name: "etl",
        schedules: [{ kind: "cron", expr: "*/5 * * * *" }, "@daily"],
        nextRuns: ["1970-01-01T00:00:05.000Z", 3000],
        paused: true,
        lastRun: { ...RUN, status: "failed", endedAt: 9000 },
        events: ["go", 7],
      },
      { name: 3 },
      null,
    ],
  });
  assertEquals(flows.length, 1);
  assertEquals(flows[0].schedules, ["*/5 * * * *", "@daily"]);
  assertEquals(flows[0].nextRuns, [3000, 5000]);
  assertEquals([flows[0].paused, flows[0].lastRun?.status, flows[0].events], [true, "failed", [
    "go",
  ]]);
  assertEquals(parseFlows([{ name: "x" }])[0].paused, false, "a bare list");
});

Deno.test("runs: the trigger in words, times as ms, unknown statuses left out", () => {
  const runs = parseRuns({
    runs: [RUN, { ...RUN, id: 5, status: "exploded" }, { id: "6", flow: "f", status: "queued" }],
  });
  assertEquals(runs.map((r) => [r.id, r.status, r.trigger]), [[4, "running", "manual: api"], [
    6,
    "queued",
    "",
  ]]);
  assertEquals(runs[0].startedAt, 2000);
  assertEquals(elapsed(runs[0], 7000), 5000, "running: until now");
  assertEquals(elapsed({ startedAt: 1, endedAt: 4 }, 99), 3);
  assertEquals(elapsed({}, 99), undefined);
  assertEquals([toMs("nope"), toMs(NaN), toMs(12)], [undefined, undefined, 12]);
});

Deno.test("a run's tasks: attempts grouped and ordered, exit codes, outputs", () => {
  const tasks = groupAttempts([
    {
      task: "load",
      attempt: 2,
      state: "succeeded",
      exit: { code: 0, signal: null },
      outputs: { rows: "12", bad: 3 },
    },
    {
      task: "load",
      attempt: 1,
      state: "failed",
      exit: { code: 3, signal: null },
      error: "exit code 3",
    },
    { task: "extract", attempt: 1, state: "running", waitingFor: undefined },
    { task: "x", state: "weird" },
    {
      name: "report",
      attempts: [{ attempt: 1, state: "waiting", waitingFor: "executor (2 of 2 busy)" }],
    },
  ]);
  assertEquals(tasks.map((t) => [t.task, t.attempts.length, t.latest.state]), [
    ["load", 2, "succeeded"],
    ["extract", 1, "running"],
    ["report", 1, "waiting"],
  ]);
  assertEquals(tasks[0].attempts.map((a) => a.exitCode), [3, 0]);
  assertEquals({ ...tasks[0].latest.outputs }, { rows: "12" });
  assertEquals(tasks[2].latest.waitingFor, "executor (2 of 2 busy)");
});

Deno.test("the task graph: edges labelled with the outcome they follow", () => {
  assertEquals(
    taskGraph({
      extract: { upstream: [] },
      load: { upstream: [{ task: "extract", on: "success" }] },
      alert: { upstream: [{ task: "load", on: "failure" }] },
    }),
    [
      { id: "extract", deps: [] },
      { id: "load", deps: [{ target: "extract", label: "success" }] },
      { id: "alert", deps: [{ target: "load", label: "failure" }] },
    ],
  );
  assertEquals(taskGraph([{ name: "b", dependsOn: ["a"] }]), [{
    id: "b",
    deps: [{ target: "a", label: "success" }],
  }]);
});

Deno.test("a run's detail: the run, its payload, tasks, and a box for every task", () => {
  const detail = parseRunDetail({
    run: RUN,
    tasks: [{ task: "load", attempt: 1, state: "running" }, {
      task: "extra",
      attempt: 1,
      state: "pending",
    }],
    graph: [{ name: "load", upstream: [] }],
  })!;
  assertEquals(detail.run.id, 4);
  assertEquals(detail.payload, { day: "monday" });
  assertEquals(detail.graph.map((n) => n.id), ["load", "extra"]);
  assertEquals(parseRunDetail({ nope: 1 }), undefined);
});

Deno.test("the scheduler: paused, and which flows", () => {
  assertEquals(parseScheduler({ paused: true, pausedFlows: ["a", 1] }), {
    paused: true,
    pausedFlows: ["a"],
  });
  assertEquals(parseScheduler({ state: "paused" }).paused, true);
  assertEquals(parseScheduler("x"), { paused: false, pausedFlows: [] });
});
