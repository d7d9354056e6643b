/**
 * Scheduled flows as Kubernetes CronJobs: a one-task image flow maps (schedule, time zone,
 * overlap, catch-up, retries, timeout, references), validated against the API's schemas offline
 * (kubernetes-models); a multi-task flow, a flow with a task without an image, an unscheduled flow
 * and a schedule to the second are reported with the reason, not dropped; `orch export k8s`
 * writes the CronJobs and prints those notes.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { exportK8s, type K8sObject } from "../../src/export/k8s.ts";
import { cronJobs, k8sSchedule } from "../../src/export/k8s_cron.ts";
import { projectFrom } from "../../src/testing/flows.ts";
import { runOrch } from "../../src/testing/cli.ts";
import { IMAGE } from "../../src/testing/docker.ts";
import { tempDir } from "../../src/testing/recorder.ts";
import { parse } from "yaml";

const STACK = `stack: { name: shop }
services:
  web: { image: ${IMAGE}, command: "sleep 3600" }
flows:
  Nightly_Report:
    schedule: "0 3 * * *"
    timezone: Europe/Paris
    overlap: replace
    catchUp: latest
    config: { bucket: reports }
    tasks:
      report:
        image: ${IMAGE}
        command: 'echo "to \${config.bucket} \${payload.who}"; echo "$(date)"'
        env: { MODE: fast }
        retry: { attempts: 3 }
        timeout: 10m
        user: "1000"
        group: "1000"
  often:
    schedule: ["@every 15m", "*/5 * * * * *"]
    config: { greeting: hi }
    tasks:
      t: { image: ${IMAGE}, command: ["echo", "\${config.greeting}x"] }
  pipeline:
    schedule: "@hourly"
    tasks:
      a: { image: ${IMAGE}, command: "true" }
      b: { image: ${IMAGE}, command: "true", dependsOn: [a] }
  local:
    schedule: "@daily"
    tasks:
      t: { command: "true" }
  on-demand:
    events: [go]
    tasks:
      t: { image: ${IMAGE}, command: "true" }
`;

// deno-lint-ignore no-explicit-any
const spec = (o: K8sObject): any => o.spec;

Deno.test("k8s: a scheduled one-task image flow is a CronJob; the rest is reported with the reason", async () => {
  const project = await projectFrom(STACK);
  const { document, notes } = exportK8s(project.stack, {
    generators: [cronJobs(project.flows)],
  });
  const crons = document.filter((o) => o.kind === "CronJob");
  for (const c of crons) {
    try {
      new CronJob(structuredClone(c) as never).validate();
    } catch (error) {
      throw new Error(`CronJob/${c.metadata.name}: ${(error as Error).message}`);
    }
  }
  assertEquals(crons.map((c) => c.metadata.name), ["nightly-report", "often-0"]);
  const nightly = spec(crons[0]);
  assertEquals(
    [nightly.schedule, nightly.timeZone, nightly.concurrencyPolicy],
    ["0 3 * * *", "Europe/Paris", "Replace"],
  );
  const job = nightly.jobTemplate.spec;
  assertEquals([job.backoffLimit, job.activeDeadlineSeconds], [2, 600]);
  const pod = job.template.spec;
  assertEquals([pod.restartPolicy, pod.securityContext], ["Never", {
    runAsUser: 1000,
    runAsGroup: 1000,
  }]);
  const [container] = pod.containers;
  assertEquals(container.image, IMAGE);
  // A reference in a script is a variable holding its value, as orch runs it; $( is escaped.
  assertEquals(container.args, [
    "sh",
    "-c",
    'echo "to ${ORCH_REF_1} ${ORCH_REF_2}"; echo "$$(date)"',
  ]);
  const env = Object.fromEntries(
    container.env.map((e: { name: string; value: string }) => [e.name, e.value]),
  );
  assertEquals(
    [env.ORCH_REF_1, env.ORCH_REF_2, env.MODE, env.ORCH_FLOW, env.ORCH_TRIGGER],
    ["reports", "", "fast", "Nightly_Report", "schedule"],
  );
  assertEquals(spec(crons[1]).schedule, "*/15 * * * *");
  assertEquals(
    spec(crons[1]).jobTemplate.spec.template.spec.containers[0].args,
    ["echo", "hix"],
  );
  const said = (flow: string) =>
    notes.filter((n) => n.service === `flow ${flow}`).map((n) => n.message);
  assertMatch(said("pipeline").join("\n"), /has 2 tasks: a CronJob runs one container/);
  assertMatch(said("local").join("\n"), /task t has no image/);
  assertMatch(said("on-demand").join("\n"), /has no schedule/);
  assertMatch(said("often").join("\n"), /\*\/5 \* \* \* \* \*: .*seconds field.*not exported/);
  assertMatch(said("Nightly_Report").join("\n"), /\$\{payload\.who\} is empty in a scheduled run/);
  assertMatch(said("Nightly_Report").join("\n"), /named nightly-report/);
  assert(!document.some((o) => o.kind === "CronJob" && /pipeline|local/.test(o.metadata.name)));
});

Deno.test("k8s: schedules as Kubernetes cron expressions, or why not", () => {
  const every = (everyMs: number) =>
    k8sSchedule({ kind: "every", everyMs, expr: `@every ${everyMs}ms` });
  assertEquals(every(60_000), { expr: "* * * * *" });
  assertEquals(every(20 * 60_000), { expr: "*/20 * * * *" });
  assertEquals(every(6 * 3_600_000), { expr: "0 */6 * * *" });
  assertEquals(every(24 * 3_600_000), { expr: "0 0 * * *" });
  assert("error" in every(7 * 60_000));
  assert("error" in every(90_000));
  assertEquals(k8sSchedule({ kind: "cron", expr: "0 */2 * * * *" }), { expr: "*/2 * * * *" });
  assertEquals(k8sSchedule({ kind: "cron", expr: "@weekly" }), { expr: "@weekly" });
  assert("error" in k8sSchedule({ kind: "cron", expr: "@reboot" }));
});

Deno.test("orch export k8s writes the CronJobs and says what it left out", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/stack.yaml`, STACK);
  const result = await runOrch(dir.path, ["export", "k8s", "-o", "k8s.yaml"]);
  assertEquals(result.code, 0, result.stderr);
  assertMatch(result.stderr, /note: flow pipeline: has 2 tasks/);
  const objects = (await Deno.readTextFile(`${dir.path}/k8s.yaml`)).split(/^---$/m).map((t) =>
    parse(t) as K8sObject
  );
  const crons = objects.filter((o) => o.kind === "CronJob");
  assertEquals(crons.map((c) => c.metadata.name), ["nightly-report", "often-0"]);
  for (const c of crons) new CronJob(c as never).validate();
  assert(objects.some((o) => o.kind === "Deployment" && o.metadata.name === "web"));
});
