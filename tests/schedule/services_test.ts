/**
 * Flows and the stack's services, with a real engine: a task that needs a service waits for it to
 * be ready, saying so; a flow starts when a service fails.
 */
import { assertEquals, assertMatch } from "../assert.ts";
import { EngineServices } from "../../src/cli/flows.ts";
import { testStack } from "../../src/testing/engine.ts";
import { projectFrom, testFlows } from "../../src/testing/flows.ts";

const STACK = `
services:
  db:
    kind: daemon
    command: "exec sleep 300"
  api:
    command: "echo crashing; exit 3"
    restartPolicy: never
    dependsOn: [db]
flows:
  report:
    tasks:
      query: { command: "echo querying", needs: [db] }
  on-api-failure:
    onService: { api: failed }
    tasks:
      page: { command: 'echo "paging: $(cat "$ORCH_PAYLOAD_FILE")"' }
`;

Deno.test("a task needing a service waits for it; a service failing starts a flow", async () => {
  const project = await projectFrom(STACK);
  await using stack = await testStack(STACK);
  const services = new EngineServices(() => stack.engine.status());
  let seen = 0;
  stack.events.watch(() => {
    for (; seen < stack.events.events.length; seen++) services.observe(stack.events.events[seen]);
  });
  await using t = await testFlows(project.flows, { services });
  t.scheduler.start({ schedules: false });

  const { run } = t.scheduler.trigger("report");
  await t.events.until(
    () => t.events.events.some((e) => e.type === "task" && e.waitingFor !== undefined),
    "the task to say what it waits for",
  );
  const row = t.store.taskRun(run.id, "query")!;
  assertEquals(row.state, "waiting");
  assertMatch(row.waitingFor!, /^service db to be ready \(pending\)$/);

  stack.engine.start();
  assertEquals((await t.ended(run.id)).status, "succeeded");

  await t.events.until(
    () => t.store.runs({ flow: "on-api-failure" }).runs.some((r) => r.status === "succeeded"),
    "the failure flow to have run",
  );
  const [failureRun] = t.store.runs({ flow: "on-api-failure" }).runs;
  assertEquals(failureRun.trigger, { kind: "service", detail: "api failed" });
  assertEquals((failureRun.payload as { service: string }).service, "api");
  assertMatch(
    t.logs.recent({ run: failureRun.id }).map((r) => r.msg).join("\n"),
    /paging: \{"service":"api","state":"failed"/,
  );
});
