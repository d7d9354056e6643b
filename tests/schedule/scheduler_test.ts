/**
 * The scheduler on real processes and a real SQLite file: Conducktor's and Petit's flows, events
 * with idempotency keys, executors and pools, timeouts, chains.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { loadProject } from "../../src/config/flows/load.ts";
import { latestAttempts, projectFrom, testFlows } from "../../src/testing/flows.ts";
import { processAlive } from "../../src/testing/recorder.ts";
import { within } from "../../src/testing/deadline.ts";

const seeds = new URL("../../examples/seeds/", import.meta.url).pathname;

Deno.test("Conducktor's seed flow runs from its file, each branch in turn", async () => {
  const dir = await Deno.makeTempDir({ prefix: "orch-conducktor-" });
  const seed = await Deno.readTextFile(`${seeds}conducktor-flow.yaml`);
  // The seed as it is, then with Second task failing.
  await Deno.writeTextFile(`${dir}/myflow.yaml`, seed);
  await Deno.writeTextFile(
    `${dir}/failing.yaml`,
    seed.replace("name: my-flow", "name: my-flow-failing").replace(
      "echo world",
      "echo world; exit 1",
    ),
  );
  const project = await loadProject([dir], { env: () => undefined });
  await using t = await testFlows(project.flows, { dir });
  t.scheduler.start({ schedules: false });

  const ok = await t.ended(t.scheduler.trigger("my-flow").run.id);
  assertEquals(ok.status, "succeeded");
  const okTasks = latestAttempts(t.store.tasks(ok.id));
  assertEquals(
    ["First task", "Second task", "Third task", "Fourth task"].map((n) => okTasks[n].state),
    ["succeeded", "succeeded", "succeeded", "skipped"],
  );
  const lines = t.logs.recent({ run: ok.id }).map((r) => `${r.task}: ${r.msg}`);
  assertEquals(lines, ["First task: hello", "Second task: world", "Third task: hello world"]);

  const failing = await t.ended(t.scheduler.trigger("my-flow-failing").run.id);
  const failTasks = latestAttempts(t.store.tasks(failing.id));
  assertEquals(
    ["First task", "Second task", "Third task", "Fourth task"].map((n) => failTasks[n].state),
    ["succeeded", "failed", "skipped", "succeeded"],
  );
  // The failure has a branch that handles it: the run succeeds and says what failed.
  assertEquals(failing.status, "succeeded");
  assertEquals(failing.failures, [{ task: "Second task", error: "exit code 1", handled: true }]);
  assertEquals(failTasks["Third task"].error, "branch not taken: Second task failed");
  assert(failTasks["Fourth task"].logPath, "the task's log file is recorded");
  const logged = await Deno.readTextFile(failTasks["Fourth task"].logPath!);
  assertMatch(logged, /"msg":"FAILED","run":\d+,"task":"Fourth task"/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a payload reaches every task (env and file); outputs and config expand downstream", async () => {
  const project = await projectFrom(`
flows:
  f:
    config: { greeting: hello }
    tasks:
      produce:
        command: 'echo "rows=42" >> "$ORCH_OUTPUTS"; echo "who=$(cat "$ORCH_PAYLOAD_FILE")" >> "$ORCH_OUTPUTS"'
      consume:
        dependsOn: [produce]
        command: 'echo "\${config.greeting} \${payload.user.name} \${tasks.produce.rows} $ORCH_PAYLOAD"'
        env: { ROWS: "\${tasks.produce.rows}" }
      argv:
        dependsOn: [consume]
        command: ["sh", "-c", 'echo "$0 $ROWS"', "\${payload.user.name}"]
        env: { ROWS: "\${tasks.produce.rows}" }
`);
  await using t = await testFlows(project.flows);
  t.scheduler.start({ schedules: false });
  const payload = { user: { name: "ada; rm -rf /" } };
  const run = await t.ended(t.scheduler.trigger("f", { payload }).run.id);
  assertEquals(run.status, "succeeded");
  assertEquals(run.payload, payload);
  const tasks = latestAttempts(t.store.tasks(run.id));
  assertEquals(tasks.produce.outputs, { rows: "42", who: JSON.stringify(payload) });
  const out = (task: string) => t.logs.recent({ run: run.id, task }).map((r) => r.msg);
  assertEquals(out("consume"), [`hello ada; rm -rf / 42 ${JSON.stringify(payload)}`]);
  assertEquals(out("argv"), ["ada; rm -rf / 42"]);
});

Deno.test("an event delivered twice with one idempotency key starts one run", async () => {
  const project = await projectFrom(`
flows:
  deploy:
    eventTrigger: released
    tasks: { t: { command: 'echo "$ORCH_PAYLOAD"' } }
  other:
    events: [released, tagged]
    tasks: { t: { command: "true" } }
`);
  await using t = await testFlows(project.flows);
  t.scheduler.start({ schedules: false });
  const first = t.scheduler.publish("released", { payload: { v: 1 }, idempotencyKey: "r-1" });
  const again = t.scheduler.publish("released", { payload: { v: 2 }, idempotencyKey: "r-1" });
  assertEquals(first.map((r) => [r.run.flow, r.created]), [["deploy", true], ["other", true]]);
  assertEquals(again.map((r) => [r.run.id, r.created]), first.map((r) => [r.run.id, false]));
  await within(t.scheduler.idle(), 30_000, "every run to end");
  assertEquals(t.store.runs({ flow: "deploy" }).runs.length, 1);
  assertEquals(t.logs.recent({ services: ["deploy"] }).map((r) => r.msg), ['{"v":1}']);
  assertEquals(t.scheduler.publish("nobody-listens"), []);
});

Deno.test("20 runs over 3 executors never run more than 3 tasks at once", async () => {
  const project = await projectFrom(`
flows:
  f:
    overlap: allow
    tasks:
      a: { command: 'echo "start $(date +%s%N)" >> "$TESTDIR/times"; sleep 0.05; echo "end $(date +%s%N)" >> "$TESTDIR/times"' }
      b: { command: 'echo "start $(date +%s%N)" >> "$TESTDIR/times"; sleep 0.05; echo "end $(date +%s%N)" >> "$TESTDIR/times"' }
`);
  await using t = await testFlows(project.flows, { maxExecutors: 3 });
  t.scheduler.start({ schedules: false });
  for (let i = 0; i < 20; i++) t.scheduler.trigger("f");
  await within(t.scheduler.idle(), 30_000, "every run to end");
  const runs = t.store.runs({ flow: "f" }).runs;
  assertEquals(runs.map((r) => r.status), Array(20).fill("succeeded"));
  // Replay the timestamps the tasks wrote themselves.
  const marks = (await Deno.readTextFile(`${t.dir}/times`)).trim().split("\n").map((line) => {
    const [kind, ns] = line.split(" ");
    return { at: BigInt(ns), delta: kind === "start" ? 1 : -1 };
  }).sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : x.delta - y.delta));
  assertEquals(marks.length, 80);
  let now = 0;
  let most = 0;
  for (const m of marks) most = Math.max(most, now += m.delta);
  assertEquals(most, 3, `at most 3 at once, and 3 were used (most seen: ${most})`);
  // Tasks that waited said what for.
  const waited = t.events.events.filter((e) => e.type === "task" && e.waitingFor);
  assert(waited.some((e) => e.type === "task" && /executor \(3 of 3 busy\)/.test(e.waitingFor!)));
});

Deno.test("pools hold tasks back until slots are free; run concurrency bounds one run", async () => {
  const project = await projectFrom(`
pools: { db: 1 }
flows:
  f:
    maxConcurrency: 2
    tasks:
      x: { command: 'echo "start x $(date +%s%N)" >> "$TESTDIR/t"; sleep 0.1; echo "end x $(date +%s%N)" >> "$TESTDIR/t"', slots: { db: 1 } }
      y: { command: 'echo "start y $(date +%s%N)" >> "$TESTDIR/t"; sleep 0.1; echo "end y $(date +%s%N)" >> "$TESTDIR/t"', slots: { db: 1 } }
      p: { command: "sleep 0.1" }
      q: { command: "sleep 0.1" }
`);
  await using t = await testFlows(project.flows, { maxExecutors: 8 });
  t.scheduler.start({ schedules: false });
  const run = await t.ended(t.scheduler.trigger("f").run.id);
  assertEquals(run.status, "succeeded");
  const lines = (await Deno.readTextFile(`${t.dir}/t`)).trim().split("\n").map((l) => l.split(" "));
  lines.sort((a, b) => (BigInt(a[2]) < BigInt(b[2]) ? -1 : 1));
  // x and y never overlap: one ends before the other starts.
  assertEquals(lines.map((l) => l[0]), ["start", "end", "start", "end"]);
  const reasons = t.events.events.flatMap((e) =>
    e.type === "task" && e.waitingFor ? [e.waitingFor] : []
  );
  assert(reasons.some((r) => /^pool db \(1 of 1 in use, needs 1\)$/.test(r)), reasons.join("; "));
  assert(reasons.some((r) => /^run concurrency \(2 of 2 running\)$/.test(r)), reasons.join("; "));
});

Deno.test("a task's timeout stops its whole process group", async () => {
  const project = await projectFrom(`
flows:
  f:
    tasks:
      slow:
        command: 'sleep 300 & echo $! > "$TESTDIR/child"; wait'
        timeout: 500ms
        stop: { timeout: 1s }
`);
  await using t = await testFlows(project.flows);
  t.scheduler.start({ schedules: false });
  const run = await t.ended(t.scheduler.trigger("f").run.id);
  assertEquals([run.status, run.reason], ["failed", "slow failed: timed out after 500ms"]);
  const child = Number(await Deno.readTextFile(`${t.dir}/child`));
  assert(child > 0);
  assertEquals(processAlive(child), false, `the background child ${child} was killed too`);
});

Deno.test("cancel stops a running task and cancels the rest", async () => {
  const project = await projectFrom(`
flows:
  f:
    tasks:
      long: { command: 'echo started; exec sleep 300' }
      after: { command: "true", dependsOn: [long] }
`);
  await using t = await testFlows(project.flows);
  t.scheduler.start({ schedules: false });
  const { run } = t.scheduler.trigger("f");
  await t.events.until(
    () => t.logs.recent({ run: run.id }).some((r) => r.msg === "started"),
    "the long task to start",
  );
  t.scheduler.cancel(run.id, "cancelled in a test");
  const ended = await t.ended(run.id);
  assertEquals([ended.status, ended.reason], ["cancelled", "cancelled in a test"]);
  const tasks = latestAttempts(t.store.tasks(run.id));
  assertEquals([tasks.long.state, tasks.after.state], ["cancelled", "cancelled"]);
  assertEquals(tasks.long.exit?.signal, "SIGTERM");
});

Deno.test("a flow chained on another runs when it succeeds, not when it fails", async () => {
  const project = await projectFrom(`
flows:
  build:
    tasks: { t: { command: 'exit "\${payload.code}"' } }
  deploy:
    after: [build]
    tasks: { t: { command: 'echo "after $(cat "$ORCH_PAYLOAD_FILE")"' } }
  alert:
    after: [{ flow: build, on: failure }]
    tasks: { t: { command: "echo build failed" } }
`);
  await using t = await testFlows(project.flows);
  t.scheduler.start({ schedules: false });
  const ok = await t.ended(t.scheduler.trigger("build", { payload: { code: 0 } }).run.id);
  await within(t.scheduler.idle(), 30_000, "every run to end");
  const deploy = t.store.runs({ flow: "deploy" }).runs;
  assertEquals(deploy.map((r) => [r.status, r.trigger.kind]), [["succeeded", "chain"]]);
  assertEquals(deploy[0].payload, { flow: "build", run: ok.id, status: "succeeded" });
  assertEquals(t.store.runs({ flow: "alert" }).runs, []);
  await t.ended(t.scheduler.trigger("build", { payload: { code: 3 } }).run.id);
  await within(t.scheduler.idle(), 30_000, "every run to end");
  assertEquals(t.store.runs({ flow: "alert" }).runs.map((r) => r.status), ["succeeded"]);
  assertEquals(t.store.runs({ flow: "deploy" }).runs.length, 1);
});

Deno.test("retention keeps a flow's newest runs and removes the others' logs", async () => {
  const project = await projectFrom(`
flows:
  f:
    retention: { count: 2 }
    tasks: { t: { command: "echo run $ORCH_RUN_ID" } }
`);
  await using t = await testFlows(project.flows);
  t.scheduler.start({ schedules: false });
  const logs: string[] = [];
  for (let i = 0; i < 4; i++) {
    const run = await t.ended(t.scheduler.trigger("f").run.id);
    logs.push(t.store.taskRun(run.id, "t")!.logPath!);
  }
  assertEquals(t.store.runs({ flow: "f" }).runs.map((r) => r.id), [4, 3]);
  const exists = (path: string) => Deno.stat(path).then(() => true, () => false);
  assertEquals(await Promise.all(logs.map(exists)), [false, false, true, true]);
});

Deno.test("retry from a task runs it and what follows again; the rest keep how they ended", async () => {
  const project = await projectFrom(`
flows:
  f:
    tasks:
      a: { command: 'echo "n=$ORCH_RUN_ID" >> "$ORCH_OUTPUTS"' }
      b: { command: '[ -e "$TESTDIR/fixed" ]', dependsOn: [a] }
      c: { command: 'echo "c saw \${tasks.a.n}"', dependsOn: [b] }
      side: { command: "true" }
`);
  await using t = await testFlows(project.flows);
  t.scheduler.start({ schedules: false });
  const first = await t.ended(t.scheduler.trigger("f").run.id);
  assertEquals([first.status, first.reason], ["failed", "b failed: exit code 1"]);
  await Deno.writeTextFile(`${t.dir}/fixed`, "");
  const { run } = t.scheduler.retry(first.id, { from: "b" });
  assertEquals(run.trigger, { kind: "retry", detail: `run ${first.id} from b` });
  const again = await t.ended(run.id);
  assertEquals(again.status, "succeeded");
  const tasks = latestAttempts(t.store.tasks(again.id));
  // a kept its outputs from the first run and did not run again.
  assertEquals(tasks.a.outputs, { n: String(first.id) });
  assertEquals(t.logs.recent({ run: again.id }).map((r) => `${r.task}: ${r.msg}`), [
    `c: c saw ${first.id}`,
  ]);
  // Only that task: c keeps its skipped state.
  const only = await t.ended(
    t.scheduler.retry(first.id, { from: "b", only: true }).run.id,
  );
  assertEquals(latestAttempts(t.store.tasks(only.id)).c.state, "skipped");
  let message = "";
  try {
    t.scheduler.retry(first.id, { from: "bb" });
  } catch (error) {
    message = (error as Error).message;
  }
  assertMatch(message, /flow f has no task "bb" \(did you mean "b"\?\)/);
});

Deno.test({
  name: "a task runs as another user and can still write its outputs",
  ignore: Deno.uid() !== 0,
  async fn() {
    const project = await projectFrom(`
flows:
  f:
    tasks:
      as-nobody:
        command: 'echo "uid=$(id -u)" >> "$ORCH_OUTPUTS"; cat "$ORCH_PAYLOAD_FILE"'
        user: "nobody:nogroup"
        workdir: /tmp
`);
    await using t = await testFlows(project.flows);
    // A temporary directory is private to root; a project's directory is usually not.
    await Deno.chmod(t.dir, 0o755);
    t.scheduler.start({ schedules: false });
    const run = await t.ended(t.scheduler.trigger("f", { payload: { x: 1 } }).run.id);
    assertEquals(run.status, "succeeded", run.reason);
    const uid = new TextDecoder().decode(
      (await new Deno.Command("id", { args: ["-u", "nobody"], stdout: "piped" }).output()).stdout,
    ).trim();
    assertEquals(t.store.taskRun(run.id, "as-nobody")!.outputs, { uid });
    assertEquals(t.logs.recent({ run: run.id }).map((r) => r.msg), ['{"x":1}']);
  },
});
