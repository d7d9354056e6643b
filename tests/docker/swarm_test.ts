/**
 * Docker Swarm on the local engine, through the Engine API: `orch deploy --swarm` brings a gated
 * stack up in dependency order (checked on the tasks' own timestamps), `status --swarm` and
 * `down --swarm` follow it; the exported Compose file deploys with `docker stack deploy` and
 * converges; a one-off replicated job returns its exit code and output. When the engine was not in
 * a swarm, the tests make it a one-node swarm (127.0.0.1) and leave it at the end.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { DockerClient, endpointFrom } from "../../src/runtime/docker/client.ts";
import { SwarmClient, type SwarmTask } from "../../src/runtime/docker/swarm.ts";
import { runOrch } from "../../src/testing/cli.ts";
import { dockerTests, IMAGE } from "../../src/testing/docker.ts";
import { tempDir } from "../../src/testing/recorder.ts";
import { latestAttempts, projectFrom, testFlows } from "../../src/testing/flows.ts";
import { waitFor, within } from "../../src/testing/deadline.ts";

const swarmTest = await dockerTests("swarm");
const client = () => new SwarmClient(new DockerClient(endpointFrom(Deno.env.get("DOCKER_HOST"))));
let initialized = false;
let gwbridgeBefore = true;

async function withSwarm<T>(fn: (s: SwarmClient) => Promise<T>): Promise<T> {
  const swarm = client();
  try {
    const state = await swarm.state();
    if (state.state === "inactive") {
      const networks = await swarm.docker.json<{ Name: string }[]>("GET", "/networks");
      gwbridgeBefore = networks.some((n) => n.Name === "docker_gwbridge");
      await swarm.init("127.0.0.1");
      initialized = true;
    }
    return await fn(swarm);
  } finally {
    swarm.docker.close();
  }
}

const stackFile = (name: string) =>
  `stack: { name: ${name} }
services:
  db:
    image: ${IMAGE}
    command: ["sh", "-c", "sleep 2; touch /tmp/ready; exec sleep 3600"]
    health:
      cmd: { command: ["test", "-f", "/tmp/ready"], inContainer: true }
      interval: 300ms
    stop: { signal: SIGKILL }
  migrate:
    kind: oneshot
    image: ${IMAGE}
    command: ["sh", "-c", "echo migrating; sleep 1"]
    dependsOn: [db]
  api:
    image: ${IMAGE}
    command: ["sleep", "3600"]
    replicas: 2
    stop: { signal: SIGKILL }
    dependsOn: [db, migrate]
`;

const time = (t: string) => Date.parse(t);

swarmTest(
  "deploy --swarm brings a gated stack up in dependency order; status and down follow it",
  async () => {
    await withSwarm(async (swarm) => {
      await using dir = await tempDir();
      const name = `orchsw${crypto.randomUUID().slice(0, 6)}`;
      await Deno.writeTextFile(`${dir.path}/stack.yaml`, stackFile(name));
      const deploy = await runOrch(dir.path, ["deploy", "--swarm", "--timeout", "90s"]);
      try {
        assertEquals(deploy.code, 0, `${deploy.stdout}\n${deploy.stderr}`);
        assertMatch(
          deploy.stdout,
          /db: created[\s\S]*db: running[\s\S]*migrate: created[\s\S]*migrate: completed[\s\S]*api: created[\s\S]*api: running/,
        );
        const tasks = async (svc: string): Promise<SwarmTask[]> =>
          swarm.tasks((await swarm.service(`${name}_${svc}`))!.ID);
        const [db] = await tasks("db");
        const [migrate] = await tasks("migrate");
        const api = await tasks("api");
        assertEquals(db.Status.State, "running");
        assertEquals(migrate.Status.State, "complete");
        assertEquals(api.map((t) => t.Status.State), ["running", "running"]);
        // Swarm reports a task running once its health check passed: the job was made after that.
        assert(
          time(migrate.CreatedAt) >= time(db.Status.Timestamp),
          `migrate ${migrate.CreatedAt} after db ready ${db.Status.Timestamp}`,
        );
        for (const t of api) {
          assert(
            time(t.CreatedAt) >= time(migrate.Status.Timestamp),
            `api ${t.CreatedAt} after migrate completed ${migrate.Status.Timestamp}`,
          );
        }
        const host = Deno.env.get("DOCKER_HOST") ?? "unix:///var/run/docker.sock";
        const status = await runOrch(dir.path, ["status", "--swarm", "--json", "--host", host]);
        assertEquals(status.code, 0, status.stderr);
        const rows = JSON.parse(status.stdout).services.map((
          s: { service: string; tasks: string; mode: string },
        ) => [s.service, s.mode, s.tasks]);
        assertEquals(rows, [["api", "replicated", "2/2"], ["db", "replicated", "1/1"], [
          "migrate",
          "job",
          "1/1",
        ]]);
      } finally {
        const down = await runOrch(dir.path, ["down", "--swarm"]);
        assertEquals(down.code, 0, down.stderr);
        assertMatch(
          down.stdout,
          /api: removed[\s\S]*migrate: removed[\s\S]*db: removed[\s\S]*network .*_default: removed/,
        );
      }
      assertEquals(await swarm.services([`com.docker.stack.namespace=${name}`]), []);
      const left = await swarm.docker.json<unknown[]>("GET", "/networks", {
        query: { filters: JSON.stringify({ label: [`com.docker.stack.namespace=${name}`] }) },
      });
      assertEquals(left, []);
    });
  },
);

swarmTest("the exported Compose file deploys with docker stack deploy and converges", async () => {
  await withSwarm(async (swarm) => {
    await using dir = await tempDir();
    const name = `orchst${crypto.randomUUID().slice(0, 6)}`;
    await Deno.writeTextFile(`${dir.path}/stack.yaml`, stackFile(name));
    const exported = await runOrch(dir.path, ["export", "compose", "--swarm", "-o", "compose.yml"]);
    assertEquals(exported.code, 0, exported.stderr);
    const deploy = await new Deno.Command("docker", {
      args: ["stack", "deploy", "--resolve-image", "never", "-c", "compose.yml", name],
      cwd: dir.path,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(deploy.stderr) + new TextDecoder().decode(deploy.stdout);
    try {
      assertEquals(deploy.code, 0, text);
      for (
        const [svc, replicas, job] of [["db", 1, false], ["api", 2, false], [
          "migrate",
          1,
          true,
        ]] as const
      ) {
        const info = await swarm.service(`${name}_${svc}`);
        assert(info, `${name}_${svc} exists`);
        await swarm.converge(info.ID, { replicas, job, timeoutMs: 90_000 });
      }
    } finally {
      await new Deno.Command("docker", {
        args: ["stack", "rm", name],
        stdout: "null",
        stderr: "null",
      }).output();
      for (const s of await swarm.services([`com.docker.stack.namespace=${name}`])) {
        await swarm.remove(s.ID);
      }
      await swarm.removeNetworks([`com.docker.stack.namespace=${name}`]);
    }
  });
});

swarmTest(
  "a one-off task runs as a one-replica service, never restarted: exit code and output come back, the service is removed",
  async () => {
    await withSwarm(async (swarm) => {
      const name = `orchjob${crypto.randomUUID().slice(0, 6)}`;
      const ok = await swarm.runJob(
        {
          name,
          image: IMAGE,
          command: ["sh", "-c", "echo to-out; echo to-err >&2"],
          env: { A: "1" },
          labels: { "orch.flow": "t" },
        },
        { timeoutMs: 60_000 },
      );
      assertEquals([ok.state, ok.exitCode, ok.error], ["complete", 0, undefined]);
      assertEquals(ok.output, [["stdout", "to-out"], ["stderr", "to-err"]]);
      const failed = await swarm.runJob(
        { name: `${name}f`, image: IMAGE, command: ["sh", "-c", "echo failing; exit 3"] },
        { timeoutMs: 60_000 },
      );
      assertEquals([failed.state, failed.exitCode], ["failed", 3]);
      assertMatch(failed.error ?? "", /the job failed: .*exit code 3/);
      assertEquals(failed.output, [["stdout", "failing"]]);
      assertEquals(await swarm.service(name), undefined, "removed");
    });
  },
);

const swarmFlow = (flow: string) =>
  projectFrom(`flows:
  ${flow}:
    executor: swarm
    tasks:
      produce:
        image: ${IMAGE}
        command: 'echo out; echo err >&2; echo "::output rows=42"; cat "$ORCH_PAYLOAD_FILE"; echo; echo "$ORCH_FLOW $ORCH_TASK"'
      consume:
        image: ${IMAGE}
        dependsOn: [produce]
        command: 'echo "got \${tasks.produce.rows}"; exit 3'
      slow:
        image: ${IMAGE}
        command: "sleep 3600"
        timeout: 2s
  ${flow}-hold:
    executor: swarm
    tasks:
      hold: { image: ${IMAGE}, command: "echo holding; sleep 3600" }
`);

/** The swarm services, configs and running containers of a flow that are still there. */
async function leftOf(swarm: SwarmClient, flow: string): Promise<number> {
  const filters = { query: { filters: JSON.stringify({ label: [`orch.flow=${flow}`] }) } };
  const services = await swarm.docker.json<unknown[]>("GET", "/services", filters);
  const configs = await swarm.docker.json<unknown[]>("GET", "/configs", filters);
  const containers = await swarm.docker.json<unknown[]>("GET", "/containers/json", filters);
  return services.length + configs.length + containers.length;
}

swarmTest(
  "a flow's image tasks run as swarm jobs: exit codes, logs, payload and outputs; a timeout removes the job",
  async () => {
    await withSwarm(async (swarm) => {
      const flow = `sw${crypto.randomUUID().slice(0, 6)}`;
      const project = await swarmFlow(flow);
      await using t = await testFlows(project.flows);
      t.scheduler.start({ schedules: false });
      const payload = { user: "ada; rm -rf /" };
      const id = t.scheduler.trigger(flow, { payload }).run.id;
      const run = await within(t.scheduler.wait(id), 120_000, "the swarm flow's run to end");
      assertEquals(run.status, "failed");
      const tasks = latestAttempts(t.store.tasks(run.id));
      assertEquals(
        [tasks.produce.state, tasks.produce.exit?.code, tasks.produce.outputs],
        ["succeeded", 0, { rows: "42" }],
      );
      assertEquals([tasks.consume.state, tasks.consume.exit?.code], ["failed", 3]);
      assertEquals(tasks.consume.error, "exit code 3");
      assertEquals([tasks.slow.state, tasks.slow.error], ["failed", "timed out after 2s"]);
      const out = (task: string) =>
        t.logs.recent({ run: run.id, task }).filter((r) => r.stream !== "orch").map((r) => r.msg);
      assertEquals(out("produce"), [
        "out",
        "::output rows=42",
        JSON.stringify(payload),
        `${flow} produce`,
        "err",
      ]);
      assertEquals(out("consume"), ["got 42"]);
      assert(tasks.produce.logPath, "the attempt's log file is recorded");
      assertMatch(await Deno.readTextFile(tasks.produce.logPath!), /"msg":"out"/);
      assertEquals(
        await leftOf(swarm, flow),
        0,
        "the jobs, their configs and containers are removed",
      );
    });
  },
);

swarmTest("cancelling a run removes its running swarm job", async () => {
  await withSwarm(async (swarm) => {
    const flow = `sw${crypto.randomUUID().slice(0, 6)}`;
    const project = await swarmFlow(flow);
    await using t = await testFlows(project.flows);
    t.scheduler.start({ schedules: false });
    const hold = `${flow}-hold`;
    const id = t.scheduler.trigger(hold).run.id;
    let seen = "no task yet";
    await waitFor(
      async () => {
        const [service] = await swarm.services([`orch.flow=${hold}`]);
        const tasks = service ? await swarm.tasks(service.ID) : [];
        seen = tasks.map((x) => x.Status.State).join(",") || seen;
        return tasks.some((x) => x.Status.State === "running");
      },
      () => `the hold job to run (tasks: ${seen})`,
      60_000,
      250,
    );
    t.scheduler.cancel(id, "test cancel");
    const run = await within(t.scheduler.wait(id), 60_000, "the cancelled run to end");
    assertEquals(run.status, "cancelled");
    const { hold: task } = latestAttempts(t.store.tasks(run.id));
    assertEquals([task.state, task.error], ["cancelled", "test cancel"]);
    assertEquals(await leftOf(swarm, hold), 0, "the job, its config and container are removed");
  });
});

swarmTest("runJob with an aborted signal removes the job at once", async () => {
  await withSwarm(async (swarm) => {
    const name = `orchab${crypto.randomUUID().slice(0, 6)}`;
    const controller = new AbortController();
    controller.abort("gone");
    const job = swarm.runJob(
      { name, image: IMAGE, command: ["sleep", "3600"] },
      { timeoutMs: 300_000, signal: controller.signal },
    );
    const error = await within(job.then(() => "resolved", (e) => e), 30_000, "runJob to reject");
    assertEquals(error, "gone");
    assertEquals(await swarm.service(name), undefined, "removed");
  });
});

swarmTest("the engine is left as it was found", async () => {
  if (!initialized) return;
  const swarm = client();
  try {
    await swarm.leave(true);
    if (!gwbridgeBefore) {
      await swarm.docker.call("DELETE", "/networks/docker_gwbridge").catch(() => {});
    }
    assertEquals((await swarm.state()).state, "inactive");
  } finally {
    swarm.docker.close();
  }
});
