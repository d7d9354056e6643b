/**
 * A flow task with `runtime: docker` runs as a container through the same runtime as services:
 * its output in the task's log, the payload and outputs files bind-mounted, the container removed.
 */
import { assertEquals } from "../assert.ts";
import { dockerTests, IMAGE } from "../../src/testing/docker.ts";
import { projectFrom, testFlows } from "../../src/testing/flows.ts";

const dockerTest = await dockerTests("docker flows");

dockerTest("a container task reads the payload, writes outputs, hands them on", async () => {
  const project = await projectFrom(`
flows:
  f:
    tasks:
      boxed:
        image: ${IMAGE}
        command: 'echo "in a container: $(cat "$ORCH_PAYLOAD_FILE")"; echo "kernel=$(uname -s)" >> "$ORCH_OUTPUTS"'
      after:
        dependsOn: [boxed]
        command: 'echo "got \${tasks.boxed.kernel}"'
`);
  await using t = await testFlows(project.flows, { docker: true });
  t.scheduler.start({ schedules: false });
  const run = await t.ended(t.scheduler.trigger("f", { payload: { n: 1 } }).run.id);
  assertEquals(run.status, "succeeded");
  assertEquals(
    t.logs.recent({ run: run.id, task: "boxed" }).filter((r) => r.stream === "stdout")
      .map((r) => r.msg),
    ['in a container: {"n":1}'],
  );
  assertEquals(t.logs.recent({ run: run.id, task: "after" }).map((r) => r.msg), ["got Linux"]);
});
