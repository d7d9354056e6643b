/**
 * Flows through the real CLI and the example: `orch up` runs the scheduler beside the services,
 * `orch run --jobs DIR --trigger JOB` exits with the job's status, and an orch SIGKILLed in the
 * middle of a run leaves a sound database whose next start takes the run up.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { loadProject } from "../../src/config/flows/load.ts";
import { EngineServices } from "../../src/cli/flows.ts";
import { MAIN, runOrch } from "../../src/testing/cli.ts";
import { testStackFromFiles } from "../../src/testing/engine.ts";
import { testFlows } from "../../src/testing/flows.ts";
import { SqliteHistory } from "../../src/store/sqlite.ts";
import { within } from "../../src/testing/deadline.ts";

const example = new URL("../../examples/flows/", import.meta.url).pathname;

/** A copy of the example, so that its `.orch/` goes to a temporary directory. */
async function exampleCopy(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "orch-flows-example-" });
  await Deno.copyFile(`${example}stack.yaml`, `${dir}/stack.yaml`);
  return dir;
}

/** A running `orch` whose stdout is collected; `until` waits for a pattern under a deadline. */
function spawnOrch(cwd: string, args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const waiters = new Set<() => void>();
  const reading = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      output += chunk;
      for (const w of [...waiters]) w();
    }
  })();
  const stderr = new Response(child.stderr).text();
  return {
    child,
    get output() {
      return output;
    },
    until(pattern: RegExp, what: string, ms = 30_000): Promise<void> {
      if (pattern.test(output)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${ms}ms waiting for ${what}; output:\n${output}`));
        }, ms);
        const check = () => {
          if (!pattern.test(output)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    async end(): Promise<{ code: number; stderr: string }> {
      const status = await child.status;
      await reading;
      return { code: status.code, stderr: await stderr };
    },
  };
}

Deno.test("the example: a release event takes a branch, a report needs the db, chained", async () => {
  const dir = await exampleCopy();
  const project = await loadProject([`${dir}/stack.yaml`], { env: () => undefined });
  await using stack = await testStackFromFiles([`${dir}/stack.yaml`]);
  const services = new EngineServices(() => stack.engine.status());
  let seen = 0;
  stack.events.watch(() => {
    for (; seen < stack.events.events.length; seen++) services.observe(stack.events.events[seen]);
  });
  await using t = await testFlows(project.flows, { services });
  stack.engine.start();
  t.scheduler.start({ schedules: false });

  const [good] = t.scheduler.publish("release", { payload: { version: "1.2" } });
  assertEquals((await t.ended(good.run.id)).status, "succeeded");
  const out = (run: number, task: string) => t.logs.recent({ run, task }).map((r) => r.msg);
  assertEquals(out(good.run.id, "announce"), ["released at https://example.test/1.2"]);
  assertEquals(t.store.taskRun(good.run.id, "reject")!.state, "skipped");

  const [bad] = t.scheduler.publish("release", { payload: {} });
  const rejected = await t.ended(bad.run.id);
  assertEquals(out(bad.run.id, "reject"), ["rejected: the release has no version"]);
  assertEquals(t.store.taskRun(bad.run.id, "ship")!.state, "skipped");
  assertEquals([rejected.status, rejected.failures.map((f) => f.handled)], ["succeeded", [true]]);

  await within(t.scheduler.idle(), 30_000, "every run to end");
  const reports = t.store.runs({ flow: "report" }).runs;
  assertEquals(reports.map((r) => [r.trigger.kind, r.status]), [
    ["chain", "succeeded"],
    ["chain", "succeeded"],
  ]);
  assertMatch(out(reports[1].id, "query").join(""), /querying the database after run 1/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("orch up runs the example's schedule beside its services, keeps the history", async () => {
  const dir = await exampleCopy();
  const orch = spawnOrch(dir, ["up", "-f", "stack.yaml", "--no-tui", "--max-executors", "2"]);
  await orch.until(/flows: 3 on 2 executor\(s\)/, "the scheduler to start");
  await orch.until(/heartbeat: run \d+ succeeded/, "a heartbeat run");
  assertMatch(orch.output, /heartbeat\/beat +\| heartbeat for \{"scheduledFor":"/);
  orch.child.kill("SIGTERM");
  const { code, stderr } = await orch.end();
  assertEquals(code, 0, stderr);
  const db = new SqliteHistory(`${dir}/.orch/history.db`);
  assertEquals(db.integrityCheck(), ["ok"]);
  const runs = db.runs({ flow: "heartbeat" }).runs;
  assert(runs.some((r) => r.status === "succeeded" && r.trigger.kind === "schedule"));
  db.close();
  await Deno.remove(dir, { recursive: true });
});

const JOB = (command: string) => `
name: job
tasks:
  step:
    type: command
    program: sh
    args: ["-c", '${command}']
    retry: { max_attempts: 2, delay_seconds: 0 }
`;

Deno.test("orch run --jobs --trigger exits with the job's status", async () => {
  const dir = await Deno.makeTempDir({ prefix: "orch-jobs-" });
  await Deno.mkdir(`${dir}/jobs`);
  await Deno.writeTextFile(`${dir}/jobs/job.yaml`, JOB("echo doing it"));
  const ok = await runOrch(dir, ["run", "--jobs", "jobs", "--trigger", "job"]);
  assertEquals(ok.code, 0, ok.stderr);
  assertMatch(ok.stdout, /job\/step +\| doing it/);
  assertMatch(ok.stdout, /job job run 1 succeeded/);
  await Deno.writeTextFile(`${dir}/jobs/job.yaml`, JOB("echo failing; exit 4"));
  const failed = await runOrch(dir, ["run", "--jobs", "jobs", "--trigger", "job", "--db", "h.db"]);
  assertEquals(failed.code, 1);
  assertMatch(failed.stdout, /job job run 1 failed: step failed: exit code 4/);
  const db = new SqliteHistory(`${dir}/h.db`);
  assertEquals(db.tasks(1).map((t) => [t.attempt, t.state]), [[1, "retrying"], [2, "failed"]]);
  db.close();
  const unknown = await runOrch(dir, ["run", "--jobs", "jobs", "--trigger", "jobb"]);
  assertEquals(unknown.code, 2);
  assertMatch(unknown.stderr, /no job named "jobb".*did you mean "job"\?/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("orch SIGKILLed mid-run: the next start marks the run interrupted and retries", async () => {
  const dir = await Deno.makeTempDir({ prefix: "orch-kill-" });
  await Deno.mkdir(`${dir}/jobs`);
  await Deno.writeTextFile(
    `${dir}/jobs/job.yaml`,
    JOB(`echo "attempt $ORCH_ATTEMPT"; while [ ! -e ${dir}/go ]; do sleep 0.02; done`),
  );
  const first = spawnOrch(dir, ["run", "--jobs", "jobs", "--trigger", "job"]);
  await first.until(/job\/step +\| attempt 1/, "the first attempt to run");
  first.child.kill("SIGKILL");
  await first.end();
  const db = new SqliteHistory(`${dir}/.orch/history.db`);
  assertEquals(db.integrityCheck(), ["ok"]);
  assertEquals(db.run(1)?.status, "running");
  db.close();

  await Deno.writeTextFile(`${dir}/go`, "");
  const second = spawnOrch(dir, ["run", "--jobs", "jobs"]);
  await second.until(/job: run 1 succeeded/, "the run to be taken up and succeed");
  assertMatch(second.output, /job: run 1 interrupted[\s\S]*job\/step +\| attempt 2/);
  second.child.kill("SIGINT");
  assertEquals((await second.end()).code, 0);
  const after = new SqliteHistory(`${dir}/.orch/history.db`);
  assertEquals(after.run(1)?.interruptions, 1);
  assertEquals(after.tasks(1).map((t) => [t.attempt, t.state]), [
    [1, "interrupted"],
    [2, "succeeded"],
  ]);
  after.close();
  await Deno.remove(dir, { recursive: true });
});
