/**
 * The Docker runtime against a real engine (no mock). Without an engine these tests are skipped
 * with a message; with ORCH_DOCKER_TESTS=require (as `.ci/run` sets) a missing engine fails them.
 * The image is local/busybox:latest, which ../shared/docker/docker-setup.sh imports.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { loadStack } from "../../src/config/load.ts";
import { DockerClient, endpointFrom } from "../../src/runtime/docker/client.ts";
import { containersOf, dockerTest, IMAGE, ready } from "./harness.ts";
import { LABEL } from "../../src/runtime/docker/runtime.ts";
import { testStack, testStackFromFiles } from "../../src/testing/engine.ts";
import { processAlive, tempDir } from "../../src/testing/recorder.ts";
import { runOrch } from "../../src/testing/cli.ts";
import { freePort } from "../../src/testing/net.ts";
import { eventually } from "../../src/testing/containment.ts";
import { waitFor } from "../../src/testing/deadline.ts";

dockerTest(
  "a container serves HTTP on a published port; a process waits for it, and one for a process",
  async () => {
    const port = freePort();
    await using t = await testStack(`
services:
  web:
    runtime: docker
    image: ${IMAGE}
    command: ["sh", "-c", "echo to-stdout; echo to-stderr >&2; exec httpd -f -p 8080 -h /www"]
    ports: ["127.0.0.1:${port}:8080"]
    health:
      http: { url: "http://127.0.0.1:${port}/" }
      interval: 100ms
  client:
    kind: oneshot
    command: "curl -sf http://127.0.0.1:${port}/"
    dependsOn: [{ target: web, require: ready }]
  gate:
    command: "sleep 0.3; echo gate open; exec sleep 60"
    health: { log: { pattern: "gate open" } }
  after:
    runtime: docker
    image: ${IMAGE}
    command: "echo after started; exec sleep 60"
    dependsOn: [{ target: gate, require: ready }]
`);
    t.engine.start();
    await t.events.reached("client", "completed", 30_000);
    assertEquals(t.logs.recent({ services: ["client"] }).map((r) => r.msg), [
      "hello from busybox httpd",
    ]);
    const web = t.logs.recent({ services: ["web"] });
    assert(web.some((r) => r.msg === "to-stdout" && r.stream === "stdout"), JSON.stringify(web));
    assert(web.some((r) => r.msg === "to-stderr" && r.stream === "stderr"), JSON.stringify(web));
    await ready(t, "after");
    const order = t.events.events.flatMap((e) =>
      e.type === "state" && (e.state === "ready" || e.state === "starting")
        ? [`${e.service}:${e.state}`]
        : []
    );
    assert(order.indexOf("web:ready") < order.indexOf("client:starting"), order.join(" "));
    assert(order.indexOf("gate:ready") < order.indexOf("after:starting"), order.join(" "));
    const labels = (await containersOf(t.dir)).map((c) => c.Labels[LABEL.service]).sort();
    assertEquals(labels, ["after", "web"]);
    await t.engine.shutdown();
    assertEquals(await containersOf(t.dir), [], "every container is removed after the shutdown");
  },
);

dockerTest(
  "a crashing container restarts with backoff and ends failed; replicas get their index",
  async () => {
    await using t = await testStack(`
services:
  crash:
    runtime: docker
    image: ${IMAGE}
    command: "echo crashing; exit 3"
    restartPolicy: { maxRetries: 2, backoff: { min: 50ms, max: 100ms } }
  many:
    runtime: docker
    image: ${IMAGE}
    replicas: 2
    command: "echo replica $ORCH_REPLICA of $ORCH_SERVICE; exec sleep 60"
    health: { log: { pattern: "replica" } }
    env: { ONLY: "declared" }
`);
    t.engine.start();
    await t.events.reached("crash", "failed", 60_000);
    const crash = t.engine.status().find((s) => s.service === "crash")!;
    assertEquals([crash.restarts, crash.message], [2, "gave up after 2 restarts: exit code 3"]);
    assertEquals(
      t.logs.recent({ services: ["crash"] }).filter((r) => r.msg === "crashing").length,
      3,
    );
    await ready(t, "many", 2);
    assertEquals(
      t.logs.recent({ services: ["many"] }).map((r) => r.msg).sort(),
      ["replica 0 of many", "replica 1 of many"],
    );
    assertEquals((await containersOf(t.dir)).length, 2);
  },
);

dockerTest("stdin reaches a container; a cmd probe runs inside it", async () => {
  await using t = await testStack(`
services:
  echo:
    runtime: docker
    image: ${IMAGE}
    command: "while read line; do echo got $line; done"
    health:
      cmd: { command: "test -f /www/index.html", inContainer: true }
      interval: 100ms
`);
  t.engine.start();
  await ready(t, "echo");
  assertEquals(t.engine.status()[0].message, "probe cmd: exit code 0");
  await t.engine.send("echo", "hello container");
  await t.events.until(
    () => t.logs.recent({ services: ["echo"] }).some((r) => r.msg === "got hello container"),
    "the echo",
  );
});

dockerTest("a container that ignores SIGTERM is killed after its stop timeout", async () => {
  await using t = await testStack(`
services:
  stubborn:
    runtime: docker
    image: ${IMAGE}
    command: ["sh", "-c", "trap '' TERM; echo trapped; while true; do sleep 1; done"]
    health: { log: { pattern: "trapped" } }
    stop: { timeout: 1s }
`);
  t.engine.start();
  await ready(t, "stubborn");
  const started = performance.now();
  await t.engine.shutdown();
  const took = performance.now() - started;
  assert(took >= 900 && took < 15_000, `took ${took}ms`);
  const exit = t.events.events.find((e) => e.type === "exited");
  assertEquals(exit?.type === "exited" && exit.exit.signal, "SIGKILL");
  assertEquals(await containersOf(t.dir), []);
});

dockerTest(
  "a rolling apply replaces container replicas one by one, ready gating each",
  async () => {
    const yaml = (version: string) => `
services:
  app:
    runtime: docker
    image: ${IMAGE}
    replicas: 3
    env: { VERSION: "${version}" }
    command: "sleep 0.3; echo version $VERSION listening; exec sleep 60"
    health: { log: { pattern: "listening" } }
    update: { strategy: rolling, maxUnavailable: 1 }
`;
    await using t = await testStack(yaml("1"));
    t.engine.start();
    await ready(t, "app", 3);
    const before = (await containersOf(t.dir)).map((c) => c.Id);
    const samples: number[] = [];
    const stop = t.events.watch(() =>
      samples.push(t.engine.status().filter((s) => s.state === "ready").length)
    );
    await Deno.writeTextFile(`${t.dir}/stack.yaml`, yaml("2"));
    const result = await t.engine.apply((await loadStack([`${t.dir}/stack.yaml`])).stack);
    stop();
    assertEquals(result.failed, {});
    assert(Math.min(...samples) >= 2, `ready dropped to ${Math.min(...samples)}`);
    const after = await containersOf(t.dir);
    assertEquals(after.length, 3);
    assert(after.every((c) => !before.includes(c.Id)), "every container was replaced");
    const versions = t.logs.recent({ services: ["app"] }).filter((r) =>
      r.msg.startsWith("version")
    );
    assertEquals(versions.filter((r) => r.msg === "version 2 listening").length, 3);
  },
);

dockerTest("without an engine the service fails, naming the socket and what to do", async () => {
  const saved = Deno.env.get("DOCKER_HOST");
  Deno.env.set("DOCKER_HOST", "unix:///nonexistent/docker.sock");
  try {
    await using t = await testStack(`
services:
  db:
    runtime: docker
    image: ${IMAGE}
    restartPolicy: { maxRetries: 0 }
`);
    t.engine.start();
    await t.events.reached("db", "failed");
    assertMatch(
      t.engine.status()[0].message,
      /^docker: no Docker engine at unix:\/\/\/nonexistent\/docker\.sock \(no such socket\): start dockerd, or set DOCKER_HOST$/,
    );
  } finally {
    if (saved) Deno.env.set("DOCKER_HOST", saved);
    else Deno.env.delete("DOCKER_HOST");
  }
});

dockerTest("an image that cannot be pulled fails with the engine's message", async () => {
  await using t = await testStack(`
services:
  db:
    runtime: docker
    image: orch-test/does-not-exist:1
    restartPolicy: { maxRetries: 0 }
`);
  t.engine.start();
  await t.events.reached("db", "failed", 60_000);
  assertMatch(
    t.engine.status()[0].message,
    /^docker: |cannot pull image orch-test\/does-not-exist:1: /,
  );
  assert(t.logs.recent({ services: ["db"] }).some((r) => r.msg.includes("pulling image")));
});

const orch = (cwd: string, ...args: string[]) => runOrch(cwd, args);

dockerTest(
  "a SIGKILLed orch's containers are removed by its guard within seconds, with no later up",
  async () => {
    await using dir = await tempDir();
    await Deno.writeTextFile(
      `${dir.path}/stack.yaml`,
      `services:\n  box:\n    runtime: docker\n    image: ${IMAGE}\n    replicas: 2\n` +
        `    command: "echo up; exec sleep 300"\n    health: { log: { pattern: "up" } }\n`,
    );
    try {
      const up = await orch(dir.path, "up", "-d", "--wait");
      assertEquals(up.code, 0, up.stderr);
      const { pid } = JSON.parse(await Deno.readTextFile(`${dir.path}/.orch/orch.json`));
      assertEquals((await containersOf(dir.path)).map((c) => c.State), ["running", "running"]);
      Deno.kill(pid, "SIGKILL");
      await eventually(
        () => !processAlive(pid),
        () => `orch ${pid} is gone`,
      );
      let left = await containersOf(dir.path);
      await waitFor(
        async () => (left = await containersOf(dir.path)).length === 0,
        () => `no container to outlive orch (left: ${left.map((c) => c.Id.slice(0, 12))})`,
        10_000,
        100,
      );
    } finally {
      await orch(dir.path, "down");
    }
  },
);

/** Makes a container labelled as this project's, as a crashed orch (without its guard) leaves. */
async function leftover(project: string): Promise<string> {
  const client = new DockerClient(endpointFrom(Deno.env.get("DOCKER_HOST")));
  try {
    const { Id } = await client.json<{ Id: string }>("POST", "/containers/create", {
      body: {
        Image: IMAGE,
        Cmd: ["sleep", "300"],
        Labels: { [LABEL.project]: project, [LABEL.service]: "box", [LABEL.replica]: "0" },
      },
    });
    await client.call("POST", `/containers/${Id}/start`);
    return Id;
  } finally {
    client.close();
  }
}

dockerTest(
  "containers a crashed orch left are removed by the next up, and by down",
  async () => {
    await using dir = await tempDir();
    await Deno.writeTextFile(
      `${dir.path}/stack.yaml`,
      `services:\n  box:\n    runtime: docker\n    image: ${IMAGE}\n` +
        `    command: "echo up; exec sleep 300"\n    health: { log: { pattern: "up" } }\n`,
    );
    try {
      const old = await leftover(dir.path);
      const up = await orch(dir.path, "up", "-d", "--wait");
      assertEquals(up.code, 0, up.stderr);
      const log = await Deno.readTextFile(`${dir.path}/.orch/orch.log`);
      assertMatch(log, /removed 1 container\(s\) left by an earlier orch/);
      const now = await containersOf(dir.path);
      assertEquals(now.length, 1);
      assert(now[0].Id !== old);
      const stopped = await orch(dir.path, "down");
      assertEquals(stopped.code, 0, stopped.stderr);
      // Once more, and this time `down` cleans up, with no orch running.
      await leftover(dir.path);
      const down = await orch(dir.path, "down");
      assertEquals(down.code, 0, down.stderr);
      assertMatch(down.stdout, /^removed 1 container\(s\) left by an earlier orch: /);
      assertEquals(await containersOf(dir.path), []);
    } finally {
      await orch(dir.path, "down");
    }
  },
);

dockerTest("resources become the container's limits; an OOM kill says so", async () => {
  await using t = await testStack(`
services:
  limited:
    runtime: docker
    image: ${IMAGE}
    command: "echo up; exec sleep 300"
    health: { log: { pattern: "up" } }
    resources: { memory: 64m, cpus: 0.5, pids: 50 }
  hog:
    runtime: docker
    image: ${IMAGE}
    command: "head -c 200m /dev/zero | tail > /dev/null"
    resources: { memory: 16m }
    restartPolicy: never
`);
  t.engine.start();
  await ready(t, "limited");
  const client = new DockerClient(endpointFrom(Deno.env.get("DOCKER_HOST")));
  try {
    const [box] = (await containersOf(t.dir)).filter((c) => c.Labels[LABEL.service] === "limited");
    const info = await client.json<{ HostConfig: Record<string, number> }>(
      "GET",
      `/containers/${box.Id}/json`,
    );
    const { Memory, MemorySwap, NanoCpus, PidsLimit } = info.HostConfig;
    assertEquals({ Memory, MemorySwap, NanoCpus, PidsLimit }, {
      Memory: 64 * 1024 * 1024,
      MemorySwap: 64 * 1024 * 1024,
      NanoCpus: 500_000_000,
      PidsLimit: 50,
    });
  } finally {
    client.close();
  }
  await t.events.reached("hog", "failed", 30_000);
  const hog = t.engine.status().find((s) => s.service === "hog")!;
  assertMatch(hog.message, /\(out of memory\)$/);
});

dockerTest("send to a container that does not read its stdin fails, bounded", async () => {
  await using t = await testStack(`
services:
  deaf:
    runtime: docker
    image: ${IMAGE}
    command: "echo up; exec sleep 300"
    health: { log: { pattern: "up" } }
`);
  t.engine.start();
  await ready(t, "deaf");
  const chunk = "x".repeat(60 * 1024);
  let error: Error | undefined;
  const started = Date.now();
  // The engine's buffers take some; then a send waits 5 s, or is refused with 64 KiB pending.
  for (let i = 0; i < 200 && !error; i++) {
    await t.engine.send("deaf", chunk).catch((e) => (error = e));
  }
  assert(error, "a send failed");
  assertMatch(error.message, /^deaf is not reading its stdin \(\d+ KiB pending( after 5s)?\)$/);
  assert(Date.now() - started < 20_000);
});

dockerTest("examples/mixed runs: containers and processes gated on each other", async () => {
  const file = new URL("../../examples/mixed/stack.yaml", import.meta.url).pathname;
  await using t = await testStackFromFiles([file]);
  t.engine.start();
  await t.events.until(
    () => t.engine.status().every((s) => s.state === "ready" || s.state === "completed"),
    "every service ready",
    60_000,
  );
  await t.events.until(
    () => t.logs.recent({ services: ["poller"] }).some((r) => r.msg === "hello from busybox httpd"),
    "the poller reaching the container",
  );
});
