/**
 * A Petit job directory runs as Petit's users expect: conditions, retries, slots of pools, the
 * global file's executor limit, config in env, cross-job depends_on.
 */
import { assertEquals } from "../assert.ts";
import { loadProject } from "../../src/config/flows/load.ts";
import { latestAttempts, testFlows } from "../../src/testing/flows.ts";
import { FakeClock } from "../../src/testing/clock.ts";
import { within } from "../../src/testing/deadline.ts";
import { cgroupsUnavailable } from "../../src/testing/containment.ts";

const noCgroups = cgroupsUnavailable();
if (noCgroups) console.error(`tests/schedule/petit_test.ts: limit tests SKIPPED: ${noCgroups}`);

const STAMP = (name: string) =>
  `echo "start ${name} $(date +%s%N)" >> "$TESTDIR/stamps"; sleep 0.1; ` +
  `echo "end ${name} $(date +%s%N)" >> "$TESTDIR/stamps"`;

const JOBS = {
  "petit.yaml": `
executor:
  max_concurrency: 4
resources:
  pools:
    db_conn: 1
`,
  "etl.yaml": `
name: etl
config:
  table: events
tasks:
  extract:
    type: command
    program: sh
    args: ["-c", '${STAMP("extract")}; echo "rows=42" >> "$ORCH_OUTPUTS"']
    resources: { slots: { db_conn: 1 } }
  backup:
    type: command
    program: sh
    args: ["-c", '${STAMP("backup")}']
    resources: { slots: { db_conn: 1 } }
  flaky:
    type: command
    program: sh
    args: ["-c", 'n=$(cat "$TESTDIR/count" 2>/dev/null || echo 0); echo $((n+1)) > "$TESTDIR/count"; [ "$n" -ge 2 ]']
    depends_on: [extract]
    retry: { max_attempts: 3, delay_seconds: 0 }
  load:
    type: command
    program: sh
    args: ["-c", 'echo "loading $TABLE"']
    env: { TABLE: "\${config.table}" }
    depends_on: [flaky]
  notify_failure:
    type: command
    program: "true"
    depends_on: [load]
    condition: on_failure
  cleanup:
    type: command
    program: "true"
    depends_on: [load, backup]
    condition: all_done
`,
  "report.yaml": `
name: report
depends_on:
  - job: etl
    condition: last_success
tasks:
  build:
    type: command
    program: "true"
`,
};

Deno.test("a Petit job directory runs with conditions, retries and slots", async () => {
  const dir = await Deno.makeTempDir({ prefix: "orch-petit-" });
  await Deno.mkdir(`${dir}/jobs`);
  for (const [name, text] of Object.entries(JOBS)) {
    await Deno.writeTextFile(`${dir}/jobs/${name}`, text);
  }
  const project = await loadProject([`${dir}/jobs`], { env: () => undefined });
  await using t = await testFlows(project.flows, { dir });
  t.scheduler.start({ schedules: false });
  assertEquals(t.scheduler.status().executors.max, 4);

  const { run } = t.scheduler.trigger("etl");
  const ended = await t.ended(run.id);
  assertEquals(ended.status, "succeeded");
  const tasks = latestAttempts(t.store.tasks(run.id));
  assertEquals(
    Object.fromEntries(Object.entries(tasks).map(([n, r]) => [n, [r.state, r.attempt]])),
    {
      backup: ["succeeded", 1],
      cleanup: ["succeeded", 1],
      extract: ["succeeded", 1],
      flaky: ["succeeded", 3],
      load: ["succeeded", 1],
      notify_failure: ["skipped", 1],
    },
  );
  assertEquals(t.store.taskRun(run.id, "flaky", 1)!.state, "retrying");
  assertEquals(t.store.taskRun(run.id, "flaky", 1)!.error, "exit code 1");
  assertEquals(tasks.extract.outputs, { rows: "42" });
  assertEquals(t.logs.recent({ run: run.id, task: "load" }).map((r) => r.msg), ["loading events"]);
  // extract and backup share the one db_conn slot: they never overlap.
  const stamps = (await Deno.readTextFile(`${dir}/stamps`)).trim().split("\n")
    .map((l) => l.split(" ")).sort((a, b) => (BigInt(a[2]) < BigInt(b[2]) ? -1 : 1));
  assertEquals(stamps.map((s) => s[0]), ["start", "end", "start", "end"]);
  // Retry events say the attempt and when the next one starts.
  const retrying = t.events.events.filter((e) => e.type === "task" && e.state === "retrying");
  assertEquals(retrying.length, 2);

  // The job without a schedule that depends on etl ran after it (a chain), and its requirement held.
  await within(t.scheduler.idle(), 30_000, "every run to end");
  const reports = t.store.runs({ flow: "report" }).runs;
  assertEquals(reports.map((r) => [r.trigger.kind, r.status]), [["chain", "succeeded"]]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("Petit's depends_on skips a run whose required job last failed, saying so", async () => {
  const dir = await Deno.makeTempDir({ prefix: "orch-petit-" });
  await Deno.mkdir(`${dir}/jobs`);
  await Deno.writeTextFile(
    `${dir}/jobs/a.yaml`,
    "name: a\ntasks:\n  t: { type: command, program: 'false' }\n",
  );
  await Deno.writeTextFile(
    `${dir}/jobs/b.yaml`,
    "name: b\nschedule: '@hourly'\ndepends_on: [{ job: a, condition: last_success }]\n" +
      "tasks:\n  t: { type: command, program: 'true' }\n",
  );
  const project = await loadProject([`${dir}/jobs`], { env: () => undefined });
  const clock = new FakeClock(Date.parse("2025-01-01T00:30:00Z"));
  await using t = await testFlows(project.flows, { dir, clock });
  t.scheduler.start();
  await t.ended(t.scheduler.trigger("a").run.id);
  clock.advance(30 * 60_000);
  const [skipped] = t.store.runs({ flow: "b" }).runs;
  assertEquals([skipped.trigger.kind, skipped.status, skipped.reason], [
    "schedule",
    "skipped",
    "requires a: its last run failed",
  ]);
  // A manual run is not held back.
  assertEquals((await t.ended(t.scheduler.trigger("b").run.id)).status, "succeeded");
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name:
    "Petit's resources.memory_bytes: a task over it is killed, and the attempt says out of memory",
  ignore: noCgroups !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "orch-petit-" });
    await Deno.mkdir(`${dir}/jobs`);
    await Deno.writeTextFile(
      `${dir}/jobs/hog.yaml`,
      `name: hog
tasks:
  eat:
    type: command
    program: python3
    args: ["-c", "a = []\\nwhile True: a.append(b'x' * (1 << 20))"]
    resources: { memory_bytes: ${48 << 20}, cpu_cores: 0.5 }
  fine:
    type: command
    program: "true"
    resources: { memory_bytes: ${48 << 20} }
`,
    );
    const project = await loadProject([`${dir}/jobs`], { env: () => undefined });
    assertEquals(project.flows.flows.hog.tasks.eat.resources, {
      memoryBytes: 48 << 20,
      cpus: 0.5,
    });
    await using t = await testFlows(project.flows, { dir });
    t.scheduler.start({ schedules: false });
    const ended = await within(
      t.ended(t.scheduler.trigger("hog").run.id),
      30_000,
      "the hog's run",
    );
    assertEquals(ended.status, "failed");
    const eat = t.store.taskRun(ended.id, "eat")!;
    assertEquals([eat.state, eat.error], ["failed", "killed by SIGKILL (out of memory)"]);
    assertEquals(t.store.taskRun(ended.id, "fine")!.state, "succeeded");
    await Deno.remove(dir, { recursive: true });
  },
});
