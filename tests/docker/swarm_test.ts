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
  "a one-off task runs as a replicated job: exit code and output come back, the service is removed",
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
