/** The tests' wait for a run under a deadline: a run that does not end fails naming where it is. */
import { assertMatch, assertRejects } from "../assert.ts";
import { projectFrom, testFlows } from "../../src/testing/flows.ts";

Deno.test("t.ended fails after its time naming the run, its status and its tasks' states", async () => {
  const project = await projectFrom(`
flows:
  f:
    tasks:
      nap: { command: "sleep 30" }
`);
  await using t = await testFlows(project.flows);
  t.scheduler.start({ schedules: false });
  const { run } = t.scheduler.trigger("f");
  const error = await assertRejects(() => t.ended(run.id, 300));
  assertMatch(
    (error as Error).message,
    /^timed out after 300ms waiting for run 1 of f to end \(it is running; tasks: nap (running|waiting)/,
  );
  t.scheduler.cancel(run.id);
  await t.ended(run.id);
});
