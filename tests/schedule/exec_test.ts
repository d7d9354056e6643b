/**
 * Ad-hoc runs (`orch exec`): one command as a one-task run of `@exec`, on real processes and a
 * real SQLite file: recorded with its exit and output, run as given, on the executors and pools
 * like any task, cancelled like any run, ended (not left interrupted) when orch stops.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../assert.ts";
import { EXEC_FLOW, EXEC_TASK, NO_FLOWS, NotFoundError, UsageError } from "../../src/domain/mod.ts";
import { latestAttempts, projectFrom, type TestFlows, testFlows } from "../../src/testing/flows.ts";

/** Resolves once a task of run `id` runs. */
function running(t: TestFlows, id: number): Promise<void> {
  return t.events.until(
    () => t.events.events.some((e) => e.type === "task" && e.run === id && e.state === "running"),
    `a task of run ${id} to run`,
  );
}

Deno.test("exec runs a command as given and records its run, task, exit and output", async () => {
  await using t = await testFlows(NO_FLOWS);
  t.scheduler.start({ schedules: false });
  const { run } = t.scheduler.exec({
    argv: ["sh", "-c", 'echo "out $1 $GREETING"; echo err >&2; exit 3', "sh", "${payload.x}"],
    workdir: t.dir,
    env: { GREETING: "hi" },
  });
  assertEquals(run.flow, EXEC_FLOW);
  assertMatch(run.trigger.detail, /^exec: sh -c 'echo/);
  const ended = await t.ended(run.id);
  assertEquals(ended.status, "failed");
  const task = latestAttempts(t.store.tasks(run.id))[EXEC_TASK];
  assertEquals(task.exit, { code: 3, signal: null });
  // The words reach the command as written: orch expands no `${payload.x}`.
  const lines = t.logs.recent({ run: run.id }).map((r) => `${r.stream}: ${r.msg}`);
  assertEquals(lines.sort(), ["stderr: err", "stdout: out ${payload.x} hi"]);
  assert(task.logPath, "the task's log file is recorded");
  assertMatch(await Deno.readTextFile(task.logPath!), /"msg":"err"/);
  assertEquals(t.scheduler.status().flows.length, 0, "@exec is no flow of the project");
});

Deno.test("an exec waits for a free executor, and is cancelled like any run", async () => {
  const project = await projectFrom(`
flows:
  busy:
    tasks:
      hold: { command: "sleep 30" }
`);
  await using t = await testFlows(project.flows, { maxExecutors: 1 });
  t.scheduler.start({ schedules: false });
  const holding = t.scheduler.trigger("busy").run;
  await running(t, holding.id);
  const { run } = t.scheduler.exec({ argv: ["true"], workdir: t.dir });
  await t.events.until(
    () => t.events.events.some((e) => e.type === "task" && e.run === run.id && !!e.waitingFor),
    `run ${run.id}'s task to say what it waits for`,
  );
  assertMatch(latestAttempts(t.store.tasks(run.id))[EXEC_TASK].waitingFor ?? "", /executor/);
  t.scheduler.cancel(holding.id);
  assertEquals((await t.ended(run.id)).status, "succeeded");
  const long = t.scheduler.exec({ argv: ["sleep", "30"], workdir: t.dir }).run;
  await running(t, long.id);
  t.scheduler.cancel(long.id);
  const cancelled = await t.ended(long.id);
  assertEquals(cancelled.status, "cancelled");
});

Deno.test("exec checks its command and slots; orch stopping ends a running exec", async () => {
  const project = await projectFrom(`
pools: { db: 1 }
flows:
  f:
    tasks:
      a: { command: "true" }
`);
  await using t = await testFlows(project.flows);
  t.scheduler.start({ schedules: false });
  const dir = t.dir;
  await assertRejects(
    () => Promise.resolve().then(() => t.scheduler.exec({ argv: [], workdir: dir })),
    UsageError,
  );
  const noPool = await assertRejects(
    () =>
      Promise.resolve().then(() =>
        t.scheduler.exec({ argv: ["true"], workdir: dir, slots: { nope: 1 } })
      ),
    NotFoundError,
  );
  assertMatch(noPool.message, /no pool named "nope" \(pools: db\)/);
  const tooMany = await assertRejects(
    () =>
      Promise.resolve().then(() =>
        t.scheduler.exec({ argv: ["true"], workdir: dir, slots: { db: 2 } })
      ),
    UsageError,
  );
  assertMatch(tooMany.message, /it has 1/);
  const ok = t.scheduler.exec({ argv: ["true"], workdir: dir, slots: { db: 1 } }).run;
  assertEquals((await t.ended(ok.id)).status, "succeeded");
  const long = t.scheduler.exec({ argv: ["sleep", "30"], workdir: dir }).run;
  await running(t, long.id);
  await t.scheduler.stop();
  const after = t.store.run(long.id)!;
  assertEquals([after.status, after.reason], ["cancelled", "orch is stopping"]);
});
