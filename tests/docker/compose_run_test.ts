/**
 * A Compose file run for real through the CLI: containers from the local busybox image on the
 * network orch creates (services reach each other by name and alias), gated on health checks and
 * on a oneshot's success; `orch down` removes the containers and the network.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { DockerClient, endpointFrom } from "../../src/runtime/docker/client.ts";
import { NETWORK_LABEL } from "../../src/runtime/docker/networks.ts";
import { LABEL } from "../../src/runtime/docker/runtime.ts";
import { runOrch } from "../../src/testing/cli.ts";
import { dockerTests, IMAGE } from "../../src/testing/docker.ts";
import { tempDir } from "../../src/testing/recorder.ts";

const dockerTest = await dockerTests("docker compose run");

async function labelled(
  kind: "containers" | "networks",
  label: string,
): Promise<{ Name?: string }[]> {
  const client = new DockerClient(endpointFrom(Deno.env.get("DOCKER_HOST")));
  try {
    const path = kind === "containers" ? "/containers/json" : "/networks";
    return await client.json(kind === "containers" ? "GET" : "GET", path, {
      query: {
        ...(kind === "containers" ? { all: true } : {}),
        filters: JSON.stringify({ label: [label] }),
      },
    });
  } finally {
    client.close();
  }
}

dockerTest(
  "orch up runs a docker-compose.yml: names resolve on its network, gates hold, down cleans up",
  async () => {
    await using dir = await tempDir();
    await Deno.writeTextFile(
      `${dir.path}/docker-compose.yml`,
      `services:
  web:
    image: ${IMAGE}
    command: ["sh", "-c", "mkdir -p /www && echo hello-from-$$NAME > /www/index.html && exec httpd -f -p 8080 -h /www"]
    environment: { NAME: web }
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 300ms
    networks:
      default:
        aliases: [www-alias]
  fetch:
    image: ${IMAGE}
    command: sh -c "wget -q -O- http://web:8080/ && wget -q -O- http://www-alias:8080/"
    depends_on:
      web: { condition: service_healthy }
  after:
    image: ${IMAGE}
    command: ["sh", "-c", "echo after-fetch; exec sleep 60"]
    stop_signal: SIGKILL
    depends_on:
      fetch: { condition: service_completed_successfully }
    privileged: true
`,
    );
    const up = await runOrch(dir.path, ["up", "-d", "--wait", "--timeout", "90s"]);
    try {
      assertEquals(up.code, 0, `${up.stdout}\n${up.stderr}`);
      assertMatch(
        up.stderr,
        /docker-compose\.yml:23:17: services\.after\.privileged: privileged is not supported by orch/,
      );
      const logs = await runOrch(dir.path, ["logs", "fetch", "after"]);
      assertEquals(logs.code, 0, logs.stderr);
      assertEquals(logs.stdout.match(/hello-from-web/g)?.length, 2, logs.stdout);
      assertMatch(logs.stdout, /after-fetch/);
      const status = JSON.parse((await runOrch(dir.path, ["status", "--json"])).stdout);
      const state = (name: string) =>
        status.services.find((s: { service: string }) => s.service === name)?.state;
      assertEquals([state("web"), state("fetch"), state("after")], ["ready", "completed", "ready"]);
      const networks = await labelled("networks", `${NETWORK_LABEL.project}=${dir.path}`);
      assertEquals(networks.map((n) => n.Name), [
        `${dir.path.split("/").pop()!.toLowerCase()}_default`,
      ]);
    } finally {
      const down = await runOrch(dir.path, ["down"]);
      assertEquals(down.code, 0, down.stderr);
    }
    assertEquals(
      await labelled("containers", `${LABEL.project}=${dir.path}`),
      [],
      "containers removed",
    );
    assertEquals(
      await labelled("networks", `${NETWORK_LABEL.project}=${dir.path}`),
      [],
      "the network is removed",
    );
    assert(true);
  },
);

const hasCompose = await new Deno.Command("docker-compose", {
  args: ["version"],
  stdout: "null",
  stderr: "null",
})
  .output().then((o) => o.success).catch(() => false);
if (!hasCompose) {
  console.error(
    "docker compose run: the docker-compose test is SKIPPED: docker-compose is not installed",
  );
}

dockerTest(
  "the exported Compose file is accepted by docker-compose and runs, gated on health and completion",
  async () => {
    if (!hasCompose) return;
    await using dir = await tempDir();
    const project = `orchexp${crypto.randomUUID().slice(0, 6)}`;
    await Deno.writeTextFile(
      `${dir.path}/stack.yaml`,
      `stack: { name: ${project} }
services:
  db:
    image: ${IMAGE}
    command: ["sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 3600"]
    health:
      cmd: { command: ["test", "-f", "/tmp/ready"], inContainer: true }
      interval: 300ms
  migrate:
    kind: oneshot
    image: ${IMAGE}
    command: ["echo", "migrated"]
    dependsOn: [db]
  api:
    image: ${IMAGE}
    command: ["sh", "-c", "echo api-up; exec sleep 3600"]
    dependsOn: [db, migrate]
`,
    );
    const exported = await runOrch(dir.path, ["export", "compose", "-o", "compose.yml"]);
    assertEquals(exported.code, 0, exported.stderr);
    const compose = (args: string[]) =>
      new Deno.Command("docker-compose", {
        args: ["-p", project, "-f", "compose.yml", ...args],
        cwd: dir.path,
        stdout: "piped",
        stderr: "piped",
      })
        .output();
    const text = (o: Deno.CommandOutput) =>
      new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr);
    const config = await compose(["config", "-q"]);
    assertEquals(config.code, 0, text(config));
    try {
      // `up -d` returns once api started, which it does only after db is healthy and migrate completed.
      const up = await compose(["up", "-d"]);
      assertEquals(up.code, 0, text(up));
      const logs = await compose(["logs", "migrate", "api"]);
      assertMatch(text(logs), /migrated[\s\S]*api-up|api-up[\s\S]*migrated/);
    } finally {
      await compose(["down", "-v", "--timeout", "1"]);
    }
  },
);
