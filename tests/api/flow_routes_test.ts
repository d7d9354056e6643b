/**
 * The flows' routes and Petit's, through the handler without sockets, on a real scheduler (real
 * processes, a real SQLite history) and a real engine.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { createHandler, EventCounters } from "../../src/api/mod.ts";
import { localFlows } from "../../src/control/mod.ts";
import { makeControl } from "../../src/cli/serve.ts";
import { EventBus } from "../../src/cli/bus.ts";
import { testStack } from "../../src/testing/engine.ts";
import { projectFrom, testFlows } from "../../src/testing/flows.ts";
import { readUntil, within } from "../../src/testing/deadline.ts";

const FLOWS = `
services:
  svc: { command: "true", kind: oneshot }
flows:
  build:
    description: compile and test
    schedule: "0 3 * * *"
    events: [pushed]
    tasks:
      compile:
        command: 'echo "compiling $(cat "$ORCH_PAYLOAD_FILE")"; echo "artifact=app.bin" >> "$ORCH_OUTPUTS"'
      test:
        command: 'echo "testing \${tasks.compile.artifact}"; test -z "$FAIL"'
        dependsOn: [compile]
  slow:
    tasks:
      wait: { command: "sleep 30" }
`;

async function setup() {
  const project = await projectFrom(FLOWS);
  const flows = await testFlows(project.flows);
  const stack = await testStack(`services:\n  svc: { command: "true", kind: oneshot }\n`);
  const counters = new EventCounters();
  const bus = new EventBus();
  bus.listen(counters.observe);
  const control = makeControl({
    engine: stack.engine,
    logs: flows.logs,
    bus,
    project: stack.dir,
    files: [`${stack.dir}/stack.yaml`],
    startedAt: Date.now(),
    env: () => undefined,
    shutdown: () => {},
    flows: localFlows(flows.scheduler, flows.store),
  });
  const tokens = { admin: "admin-token", readOnly: "read-token" };
  const handler = createHandler(control, { counters, tokens, keepAliveMs: 60_000 });
  const call = async (method: string, path: string, body?: unknown, token = tokens.admin) => {
    const response = await handler(
      new Request(`http://orch${path}`, {
        method,
        headers: { authorization: `Bearer ${token}` },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    // deno-lint-ignore no-explicit-any
    return { status: response.status, text, json: json as any, response };
  };
  const stream = (path: string) =>
    handler(new Request(`http://orch${path}`, { headers: { authorization: "Bearer read-token" } }));
  flows.scheduler.start({ schedules: true });
  const waitRun = (id: number) => within(flows.scheduler.wait(id), 20_000, `run ${id} to end`);
  return {
    call,
    stream,
    waitRun,
    flows,
    bus,
    async [Symbol.asyncDispose]() {
      await flows[Symbol.asyncDispose]();
      await stack[Symbol.asyncDispose]();
      bus.close();
    },
  };
}

Deno.test("/v1/flows, trigger with a payload and key, runs, one run, its task logs", async () => {
  await using t = await setup();
  const list = await t.call("GET", "/v1/flows");
  assertEquals(list.status, 200);
  const build = list.json.flows.find((f: { name: string }) => f.name === "build");
  assertEquals(build.schedules, ["0 3 * * *"]);
  assertEquals(build.events, ["pushed"]);
  assertEquals(build.nextRuns.length, 3);
  assert(build.nextRuns[0] > Date.now() && build.nextRuns[0] < build.nextRuns[1]);
  assertEquals([build.paused, build.recent], [false, []]);

  const one = await t.call("GET", "/v1/flows/build");
  assertEquals(one.json.description, "compile and test");
  assertEquals(one.json.tasks.map((x: { name: string }) => x.name), ["compile", "test"]);
  assertEquals(one.json.tasks[1].upstream, [{ task: "compile", on: "success" }]);
  assertEquals((await t.call("GET", "/v1/flows/nope")).status, 404);

  const trig = await t.call("POST", "/v1/flows/build/trigger", {
    payload: { v: 7 },
    idempotencyKey: "k1",
  });
  assertEquals(trig.status, 201, trig.text);
  const id = trig.json.run.id;
  const again = await t.call("POST", "/v1/flows/build/trigger", { idempotencyKey: "k1" });
  assertEquals([again.status, again.json.created, again.json.run.id], [200, false, id]);
  assertEquals((await t.waitRun(id)).status, "succeeded");

  const detail = await t.call("GET", `/v1/runs/${id}`);
  assertEquals(detail.json.run.payload, { v: 7 });
  const compile = detail.json.tasks.find((x: { task: string }) => x.task === "compile");
  assertEquals([compile.state, compile.exit.code, compile.outputs], ["succeeded", 0, {
    artifact: "app.bin",
  }]);
  assertEquals(detail.json.graph.length, 2);

  const logs = await t.call("GET", `/v1/runs/${id}/tasks/test/logs`);
  assertEquals(logs.status, 200);
  const lines = logs.text.trim().split("\n").map((l) => JSON.parse(l).msg);
  assertEquals(lines, ["testing app.bin"]);
  const tail = await t.call("GET", `/v1/runs/${id}/tasks/compile/logs?tail=1`);
  assertEquals(JSON.parse(tail.text.trim()).msg, 'compiling {"v":7}');
  assertEquals((await t.call("GET", `/v1/runs/${id}/tasks/nope/logs`)).status, 404);

  const runs = await t.call("GET", "/v1/runs?flow=build&status=succeeded");
  assertEquals(runs.json.runs.map((r: { id: number }) => r.id), [id]);
  assertEquals((await t.call("GET", "/v1/runs?status=failed")).json.runs, []);
  assertEquals((await t.call("GET", "/v1/runs?since=1h")).json.runs.length, 1);
  assertEquals((await t.call("GET", "/v1/runs?status=bogus")).status, 400);
  assertEquals((await t.call("GET", "/v1/runs?limit=0")).status, 400);
  assertEquals((await t.call("GET", "/v1/runs/abc")).status, 400);
  assertEquals((await t.call("GET", "/v1/runs/999")).status, 404);
  assertEquals((await t.call("GET", "/v1/runs?flow=nope")).status, 404);
  const after = await t.call("GET", "/v1/flows/build");
  assertEquals([after.json.lastRun.id, after.json.recent], [id, ["succeeded"]]);
});

Deno.test("pages of runs; events start listening flows; cancel; retry from a task", async () => {
  await using t = await setup();
  const ids: number[] = [];
  for (let i = 0; i < 3; i++) {
    ids.push((await t.call("POST", "/v1/events/pushed", { payload: { i } })).json.runs[0].run.id);
  }
  for (const id of ids) await t.waitRun(id);
  const first = await t.call("GET", "/v1/runs?limit=2");
  assertEquals(first.json.runs.map((r: { id: number }) => r.id), [ids[2], ids[1]]);
  const second = await t.call("GET", `/v1/runs?limit=2&before=${first.json.next}`);
  assertEquals(second.json.runs.map((r: { id: number }) => r.id), [ids[0]]);
  assertEquals(second.json.next, undefined);
  const none = await t.call("POST", "/v1/events/nobody-listens", {});
  assertEquals([none.status, none.json.runs], [202, []]);
  assertEquals((await t.call("POST", "/v1/events/pushed", { bogus: 1 })).status, 400);

  const slow = (await t.call("POST", "/v1/flows/slow/trigger", {})).json.run.id;
  await t.flows.events.until(
    () => t.flows.store.tasks(slow).some((r) => r.state === "running"),
    "the slow task to run",
  );
  const cancel = await t.call("POST", `/v1/runs/${slow}/cancel`, {});
  assertEquals(cancel.status, 200, cancel.text);
  assertEquals((await t.waitRun(slow)).status, "cancelled");
  assertEquals((await t.call("POST", `/v1/runs/${slow}/cancel`, {})).status, 409);

  const retried = await t.call("POST", `/v1/runs/${ids[0]}/retry`, { from: "test", only: true });
  assertEquals(retried.status, 201, retried.text);
  const rid = retried.json.run.id;
  assertEquals(retried.json.run.trigger, { kind: "retry", detail: `run ${ids[0]} from test` });
  assertEquals((await t.waitRun(rid)).status, "succeeded");
  const rows = (await t.call("GET", `/v1/runs/${rid}`)).json.tasks;
  // compile kept its outputs from the first run; only test ran again.
  const compile = rows.find((x: { task: string }) => x.task === "compile");
  assertEquals(compile.outputs, { artifact: "app.bin" });
  assertEquals(
    (await t.call("GET", `/v1/runs/${rid}/tasks/compile/logs`)).text,
    "",
  );
  assertEquals((await t.call("POST", `/v1/runs/${ids[0]}/retry`, { from: "zz" })).status, 404);
  assertEquals((await t.call("POST", `/v1/runs/${ids[0]}/retry`, {})).status, 400);
});

Deno.test("scheduler state, pause and resume (all, one flow); read-only token refused", async () => {
  await using t = await setup();
  const state = await t.call("GET", "/v1/scheduler");
  assertEquals([state.json.paused, state.json.flows], [false, 2]);
  assert(state.json.executors.max >= 1);
  const ro = await t.call("POST", "/v1/scheduler/pause", {}, "read-token");
  assertEquals(ro.status, 403);
  assertEquals((await t.call("GET", "/v1/scheduler", undefined, "read-token")).status, 200);
  assertEquals((await t.call("POST", "/v1/flows/build/trigger", {}, "read-token")).status, 403);
  assertEquals((await t.call("POST", "/v1/runs/1/cancel", {}, "read-token")).status, 403);
  assertEquals((await t.call("POST", "/v1/events/pushed", {}, "read-token")).status, 403);

  const paused = await t.call("POST", "/v1/scheduler/pause", {});
  assertEquals(paused.json.paused, true);
  // Paused: an event starts nothing (the run is recorded as skipped); a manual trigger runs.
  const skipped = (await t.call("POST", "/v1/events/pushed", {})).json.runs[0].run;
  assertEquals([skipped.status, skipped.reason], ["skipped", "the flow is paused"]);
  assertEquals((await t.call("POST", "/v1/scheduler/resume", {})).json.paused, false);
  const one = await t.call("POST", "/v1/flows/build/pause", {});
  assertEquals([one.json.paused, one.json.pausedFlows], [false, ["build"]]);
  assertEquals((await t.call("GET", "/v1/flows/build")).json.paused, true);
  assertEquals(
    (await t.call("POST", "/v1/scheduler/resume", { flow: "build" })).json.pausedFlows,
    [],
  );
  assertEquals((await t.call("POST", "/v1/scheduler/pause", { flow: "zz" })).status, 404);
  assertEquals((await t.call("POST", "/v1/scheduler/pause", { flow: 3 })).status, 400);
});

Deno.test("Petit's routes, shaped as Petit's", async () => {
  await using t = await setup();
  const health = await t.call("GET", "/api/health");
  assertEquals(health.json.status, "healthy");
  const jobs = await t.call("GET", "/api/jobs");
  assert(Array.isArray(jobs.json));
  const build = jobs.json.find((j: { id: string }) => j.id === "build");
  assertEquals([build.name, build.schedule, build.enabled, build.last_run], [
    "build",
    "0 3 * * *",
    true,
    null,
  ]);
  assertMatch(build.next_run, /^\d{4}-\d\d-\d\dT03:00:00\.000Z$/);
  const job = await t.call("GET", "/api/jobs/build");
  assertEquals(job.json.tasks, [{ id: "compile", depends_on: [] }, {
    id: "test",
    depends_on: ["compile"],
  }]);
  assertEquals((await t.call("GET", "/api/jobs/nope")).status, 404);

  const trig = await t.call("POST", "/api/jobs/build/trigger");
  assertEquals(trig.status, 202, trig.text);
  assertEquals([trig.json.job_id, trig.json.status], ["build", "running"]);
  await t.waitRun(trig.json.run_id);
  const runs = await t.call("GET", "/api/jobs/build/runs");
  assertEquals(runs.json.length, 1);
  const run = runs.json[0];
  assertEquals([run.id, run.job_id, run.status, run.error], [
    trig.json.run_id,
    "build",
    "completed",
    null,
  ]);
  assert(typeof run.duration_ms === "number" && !Number.isNaN(Date.parse(run.completed_at)));
  const one = await t.call("GET", `/api/runs/${run.id}`);
  assertEquals(one.json.tasks.map((x: { task_id: string }) => x.task_id), ["compile", "test"]);
  const tasks = await t.call("GET", `/api/runs/${run.id}/tasks`);
  assertEquals(tasks.json.map((x: { status: string }) => x.status), ["completed", "completed"]);
  assertEquals(tasks.json[0].outputs, { artifact: "app.bin" });
  assertEquals(tasks.json[0].exit_code, 0);

  const paused = await t.call("POST", "/api/scheduler/pause");
  assertEquals([paused.json.state, paused.json.jobs_count], ["paused", 2]);
  assertEquals((await t.call("GET", "/api/scheduler/state")).json.state, "paused");
  assertEquals((await t.call("POST", "/api/scheduler/resume")).json.state, "running");
  assertEquals((await t.call("POST", "/api/scheduler/pause", undefined, "read-token")).status, 403);
});

Deno.test("run and task events on /v1/events; flows in /metrics", async () => {
  await using t = await setup();
  const events = await t.stream("/v1/events");
  const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
  await readUntil(reader, (s) => s.includes(": orch events"), "the events stream to open");
  // Flow events reach the bus as `orch up` wires them.
  let seen = t.flows.events.events.length;
  const stop = t.flows.events.watch(() => {
    for (; seen < t.flows.events.events.length; seen++) t.bus.publish(t.flows.events.events[seen]);
  });
  const id = (await t.call("POST", "/v1/flows/build/trigger", {})).json.run.id;
  await t.waitRun(id);
  const text = await readUntil(
    reader,
    (s) => s.includes(`"type":"run"`) && s.includes(`"status":"succeeded"`),
    "the run's events",
  );
  assertMatch(text, /event: task\ndata: \{[^\n]*"task":"compile"[^\n]*"state":"running"/);
  assertMatch(text, new RegExp(`event: run\\ndata: \\{[^\\n]*"run":${id}[^\\n]*"succeeded"`));
  await reader.cancel();
  stop();
  const metrics = await t.call("GET", "/metrics");
  assertMatch(metrics.text, /orch_flow_runs\{stack="[^"]*",flow="build",status="succeeded"\} 1/);
  assertMatch(metrics.text, /orch_flow_executors_busy\{stack="[^"]*"\} 0/);
  assertMatch(metrics.text, /orch_flow_runs_queued\{stack="[^"]*"\} 0/);
  assertMatch(
    metrics.text,
    /orch_flow_task_duration_seconds_count\{stack="[^"]*",flow="build",task="compile"\} 1/,
  );
});
