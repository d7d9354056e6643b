/**
 * A scheduler SIGKILLed in the middle of a run leaves a database that passes integrity_check; the
 * next start marks the run interrupted, re-queues the task whose retry policy allows it, fails the
 * one whose does not, and the run goes on.
 */
import { assert, assertEquals } from "../assert.ts";
import { loadProject } from "../../src/config/flows/load.ts";
import { testFlows } from "../../src/testing/flows.ts";
import { processAlive } from "../../src/testing/recorder.ts";
import { SqliteHistory } from "../../src/store/sqlite.ts";
import type { FlowEvent } from "../../src/domain/flow_events.ts";
import { waitFor } from "../../src/testing/deadline.ts";

const CHILD = new URL("../../src/testing/flow_child.ts", import.meta.url).pathname;
const BLOCK = 'echo $$ >> "$TESTDIR/pids"; while [ ! -e "$TESTDIR/go" ]; do sleep 0.02; done';

const FLOW = `
name: job
tasks:
  - name: first
    command: "true"
  - name: retried
    command: '${BLOCK}'
    retry: 2
  - name: once
    command: '${BLOCK}'
  - name: after
    command: "echo after"
dag:
  - "first: retried, once"
  - "retried: after"
`;

const until = (condition: () => boolean | Promise<boolean>, what: string, ms = 20_000) =>
  waitFor(condition, what, ms);

Deno.test("a SIGKILLed scheduler: the database holds, the run is interrupted and taken up", async () => {
  const dir = await Deno.makeTempDir({ prefix: "orch-recovery-" });
  await Deno.mkdir(`${dir}/flows`);
  await Deno.writeTextFile(`${dir}/flows/job.yaml`, FLOW);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD, dir, "job"],
    env: { TESTDIR: dir },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const events: FlowEvent[] = [];
  const reading = (async () => {
    let rest = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      rest += chunk;
      const lines = rest.split("\n");
      rest = lines.pop()!;
      for (const line of lines) if (line) events.push(JSON.parse(line));
    }
  })();
  const running = (task: string) =>
    events.some((e) => e.type === "task" && e.task === task && e.state === "running");
  await until(() => running("retried") && running("once"), "both blocking tasks to run");
  await until(async () => {
    const text = await Deno.readTextFile(`${dir}/pids`).catch(() => "");
    return text.trim().split("\n").length === 2;
  }, "both tasks to write their pids");
  child.kill("SIGKILL");
  await child.status;
  await reading;

  const pids = (await Deno.readTextFile(`${dir}/pids`)).trim().split("\n").map(Number);
  await until(() => pids.every((p) => !processAlive(p)), "the orphaned tasks to die with orch");
  const db = `${dir}/.orch/history.db`;
  const check = new SqliteHistory(db);
  assertEquals(check.integrityCheck(), ["ok"]);
  const [left] = check.activeRuns();
  assertEquals(left.status, "running");
  check.close();

  await Deno.writeTextFile(`${dir}/go`, "");
  const project = await loadProject([`${dir}/flows`], { env: () => undefined });
  await using t = await testFlows(project.flows, { dir });
  t.scheduler.start({ schedules: false });
  const ended = await t.ended(left.id);
  assertEquals(t.events.runStatuses(left.id), ["interrupted", "running", "failed"]);
  assertEquals(ended.interruptions, 1);
  assertEquals(
    ended.reason,
    "once failed: interrupted: orch stopped while it ran, no attempts left",
  );
  const rows = t.store.tasks(left.id).map((r) => [r.task, r.attempt, r.state]);
  assertEquals(rows, [
    ["after", 1, "succeeded"],
    ["first", 1, "succeeded"],
    ["once", 1, "failed"],
    ["retried", 1, "interrupted"],
    ["retried", 2, "succeeded"],
  ]);
  assert(t.store.integrityCheck()[0] === "ok");
  await Deno.remove(dir, { recursive: true });
});
