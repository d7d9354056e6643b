import { assert, assertEquals, assertMatch } from "../assert.ts";
import { testStack } from "../../src/testing/engine.ts";
import { processAlive } from "../../src/testing/recorder.ts";
import { freePort, freePortPrefix } from "../../src/testing/net.ts";
import { within } from "../../src/testing/deadline.ts";

Deno.test("services start in dependency order, each gated on its condition", async () => {
  await using t = await testStack(`
services:
  migrate: { kind: oneshot, command: "echo migrating; sleep 0.2; echo done" }
  db:
    command: "sleep 0.3; echo 'db up'; exec sleep 30"
    dependsOn: [migrate]
    health: { log: { pattern: "db up" } }
  api:
    kind: daemon
    command: exec sleep 30
    dependsOn: [{ target: db, require: ready }]
  worker:
    kind: daemon
    command: exec sleep 30
    dependsOn: [{ target: api, require: started }]
`);
  t.engine.start();
  await t.events.reached("worker", "ready");
  const order = t.events.events.flatMap((e) =>
    e.type === "state" && ["completed", "ready", "starting"].includes(e.state)
      ? [`${e.service}:${e.state}`]
      : []
  );
  const at = (s: string) => order.indexOf(s);
  assert(at("migrate:completed") < at("db:starting"), order.join(" "));
  assert(at("db:ready") < at("api:starting"), order.join(" "));
  assert(at("api:ready") < at("worker:starting"), order.join(" "));
  assertEquals(t.logs.recent({ services: ["migrate"] }).map((r) => r.msg), ["migrating", "done"]);
});

Deno.test("http and tcp probes pass against real servers; || needs only one", async () => {
  const httpPort = freePort();
  const tcpPort = freePort();
  await using t = await testStack(`
services:
  web:
    command: ["python3", "-m", "http.server", "${httpPort}", "--bind", "127.0.0.1"]
    health:
      http: { url: "http://127.0.0.1:${httpPort}/", expectStatus: [200] }
      interval: 100ms
  sock:
    command: ["python3", "-c", "import socket,time; s=socket.socket(); s.bind(('127.0.0.1', ${tcpPort})); time.sleep(0.3); s.listen(); time.sleep(30)"]
    health:
      tcp: { address: "127.0.0.1:${tcpPort}" }
      interval: 100ms
  either:
    command: exec sleep 30
    health:
      tcp: { address: "127.0.0.1:1" }
      cmd: { command: "true" }
      expression: tcp || cmd
      interval: 100ms
`);
  t.engine.start();
  await Promise.all([
    t.events.reached("web", "ready"),
    t.events.reached("sock", "ready"),
    t.events.reached("either", "ready"),
  ]);
  const probes = t.events.events.filter((e) => e.type === "probe" && e.service === "sock");
  assert(
    probes.some((e) =>
      e.type === "probe" && e.outcome === "fail" && e.detail === "connection refused"
    ),
  );
  const either = t.engine.status().find((s) => s.service === "either")!;
  assertEquals(either.message, "probe cmd: exit code 0");
});

Deno.test("a crash loop ends failed and its dependents stay blocked, saying why", async () => {
  await using t = await testStack(`
services:
  db:
    command: "echo boom; exit 3"
    restartPolicy: { maxRetries: 2, backoff: { min: 10ms, max: 50ms } }
    health: { log: { pattern: "accepting connections" } }
  api:
    command: exec sleep 30
    dependsOn: [db]
`);
  t.engine.start();
  const outcome = await within(t.engine.idle(), 30_000, "the stack to settle");
  const db = t.engine.status().find((s) => s.service === "db")!;
  assertEquals([db.state, db.message, db.restarts], [
    "failed",
    "gave up after 2 restarts: exit code 3",
    2,
  ]);
  const api = t.engine.status().find((s) => s.service === "api")!;
  assertEquals(api.state, "waiting");
  assertEquals(
    api.message,
    "blocked: dependency db failed (gave up after 2 restarts: exit code 3)",
  );
  assertEquals(api.blocked, {
    target: "db",
    condition: "ready",
    because: "failed",
    detail: "gave up after 2 restarts: exit code 3",
  });
  assertEquals(outcome.code, 1);
  assertMatch(outcome.summary, /db failed: gave up after 2 restarts/);
});

Deno.test("a dependency timeout names the dependency and the failing probe", async () => {
  await using t = await testStack(`
services:
  db:
    command: exec sleep 30
    health: { tcp: { address: "127.0.0.1:1" }, interval: 50ms }
  api:
    command: exec sleep 30
    dependsOn: [{ target: db, timeout: 400ms }]
`);
  t.engine.start();
  await t.events.reached("api", "failed");
  const api = t.engine.status().find((s) => s.service === "api")!;
  assertEquals(api.message, "dependency db not ready after 400ms (probe tcp: connection refused)");
  assertEquals(api.blocked, {
    target: "db",
    condition: "ready",
    because: "timed-out",
    detail: "probe tcp: connection refused",
    timeoutMs: 400,
  });
});

Deno.test("stop escalates to SIGKILL for a group that ignores SIGTERM, counting down", async () => {
  await using t = await testStack(`
services:
  stubborn:
    command: "trap '' TERM; sleep 30 & echo child $!; wait"
    stop: { timeout: 2500ms }
`);
  t.engine.start();
  await t.events.until(() => t.logs.recent({ services: ["stubborn"] }).length > 0, "child pid");
  const child = Number(t.logs.recent({ services: ["stubborn"] })[0].msg.split(" ")[1]);
  const leader = t.engine.status()[0].pid!;
  assert(processAlive(child) && processAlive(leader));
  const started = performance.now();
  const said: string[] = [];
  await t.engine.shutdown({ onWait: (what) => said.push(what) });
  const took = performance.now() - started;
  assert(!processAlive(leader), "the leader is gone");
  assert(!processAlive(child), "the grandchild is gone too");
  assert(took >= 2400, `it waited for the timeout (${took}ms)`);
  assertMatch(
    said[0],
    /^waiting for stubborn \(SIGTERM sent; SIGKILL in [12]s, its stop timeout\)$/,
  );
  const exit = t.events.events.find((e) => e.type === "exited");
  assertEquals(exit?.type === "exited" && exit.exit.signal, "SIGKILL");
});

Deno.test("replicas get their index in env, command and probes", async () => {
  const prefix = freePortPrefix();
  await using t = await testStack(`
services:
  api:
    replicas: 3
    command: ["python3", "-u", "-m", "http.server", "${prefix}\${ORCH_REPLICA}", "--bind", "127.0.0.1"]
    health:
      http: { url: "http://127.0.0.1:${prefix}\${ORCH_REPLICA}/" }
      interval: 100ms
  echo:
    replicas: 2
    kind: oneshot
    command: echo "replica $ORCH_REPLICA of $ORCH_SERVICE"
`);
  t.engine.start();
  await t.events.until(
    () =>
      t.engine.status().filter((s) => s.service === "echo" && s.state === "completed").length === 2,
    "both echo replicas",
  );
  const lines = t.logs.recent({ services: ["echo"] }).map((r) => r.msg).sort();
  assertEquals(lines, ["replica 0 of echo", "replica 1 of echo"]);
  await t.events.until(
    () => t.engine.status().filter((s) => s.service === "api" && s.state === "ready").length === 3,
    "three api replicas ready",
  );
  const probed = t.events.events.flatMap((e) =>
    e.type === "probe" && e.outcome === "ok" ? [e.replica] : []
  );
  assertEquals([...new Set(probed)].sort(), [0, 1, 2]);
});

Deno.test("a 200-service stack starts and stops cleanly", async () => {
  const services = Array.from(
    { length: 200 },
    (_, i) =>
      `  s${i}:\n    kind: daemon\n    command: ["sleep", "60"]\n${
        i > 0 && i % 10 === 0 ? `    dependsOn: [s${i - 10}]\n` : ""
      }`,
  ).join("");
  await using t = await testStack(`services:\n${services}`);
  t.engine.start();
  await t.events.until(
    () => t.engine.status().every((s) => s.state === "ready"),
    "200 ready",
    60_000,
  );
  const pids = t.engine.status().map((s) => s.pid!);
  assertEquals(new Set(pids).size, 200);
  await t.engine.shutdown();
  assert(t.engine.status().every((s) => s.state === "stopped"));
  assertEquals(pids.filter(processAlive), []);
});

Deno.test("a required service that fails stops the whole stack, naming it", async () => {
  await using t = await testStack(`
services:
  other: { kind: daemon, command: exec sleep 30 }
  critical:
    command: "exit 4"
    required: true
    restartPolicy: never
`);
  t.engine.start();
  const outcome = await within(t.engine.idle(), 30_000, "the stack to settle");
  assertEquals(outcome.code, 1);
  assertEquals(outcome.summary, `required service "critical" failed: exit code 4`);
  assertEquals(t.engine.status().find((s) => s.service === "other")?.state, "stopped");
});

Deno.test("input sent to a service reaches its stdin", async () => {
  await using t = await testStack(`
services:
  echo: { kind: daemon, command: "while read line; do echo \\"got $line\\"; done" }
`);
  t.engine.start();
  await t.events.reached("echo", "ready");
  await t.engine.send("echo", "hello");
  await t.events.until(() => t.logs.recent().some((r) => r.msg === "got hello"), "the echo");
});

Deno.test("kill stops everything at once and nothing restarts afterwards", async () => {
  await using t = await testStack(`
services:
  a: { command: "exec sleep 30" }
  b: { command: "exec sleep 30", dependsOn: [a] }
`);
  t.engine.start();
  await t.events.reached("b", "ready");
  t.engine.kill();
  await t.engine.shutdown();
  assertEquals(t.engine.status().map((s) => s.state), ["stopped", "stopped"]);
  assertEquals(t.events.states("a").includes("backoff"), false);
});

Deno.test("tty: true runs the process on a pseudo-terminal", async () => {
  await using t = await testStack(`
services:
  term:
    kind: oneshot
    tty: true
    command: ["sh", "-c", "if [ -t 1 ]; then echo 'on a terminal'; else echo 'no terminal'; fi; exit 3"]
  plain:
    kind: oneshot
    command: "if [ -t 1 ]; then echo 'on a terminal'; else echo 'no terminal'; fi"
`);
  t.engine.start();
  await within(t.engine.idle(), 30_000, "the stack to settle");
  assertEquals(t.logs.recent({ services: ["term"] }).map((r) => r.msg), ["on a terminal"]);
  assertEquals(t.logs.recent({ services: ["plain"] }).map((r) => r.msg), ["no terminal"]);
  assertEquals(
    t.engine.status()[0].message,
    "exit code 3",
    "the program's exit status comes through",
  );
});

Deno.test("waitAfter on a oneshot holds its dependents that long after it completed", async () => {
  await using t = await testStack(`
services:
  migrate: { kind: oneshot, command: "true", waitAfter: 600ms }
  api: { kind: daemon, command: exec sleep 30, dependsOn: [migrate] }
`);
  t.engine.start();
  await t.events.reached("api", "ready");
  const at = (service: string, state: string) =>
    t.events.events.find((e) => e.type === "state" && e.service === service && e.state === state)!
      .ts;
  const gap = at("api", "starting") - at("migrate", "completed");
  assert(gap >= 600, `api started ${gap}ms after migrate completed`);
});

for (
  const [label, extra] of [["one instance", ""], [
    "recreate",
    "replicas: 2, update: { strategy: recreate }, ",
  ]]
) {
  Deno.test(`restart returns once the new instance is ready, not while the old one stops (${label})`, async () => {
    await using t = await testStack(`
services:
  app:
    { ${extra}command: "trap 'sleep 0.4; exit 0' TERM; echo up; while :; do sleep 0.05; done", health: { log: { pattern: "up" } } }
`);
    t.engine.start();
    const all = () => t.engine.status().filter((s) => s.service === "app");
    await t.events.until(() => all().every((s) => s.state === "ready"), "app ready");
    const before = all().map((s) => s.pid);
    await t.engine.restart("app");
    const after = all();
    assertEquals(after.map((s) => s.state), before.map(() => "ready"));
    assert(after.every((s, i) => s.pid !== before[i]), "each instance has a new process");
  });
}

Deno.test("restart rejects, saying why, when the new instance fails", async () => {
  const dir = await Deno.makeTempDir();
  await using t = await testStack(`
services:
  app:
    command: "test -e ${dir}/broken && exit 3; echo up; exec sleep 30"
    health: { log: { pattern: "up" } }
    restartPolicy: { policy: on-failure, maxRetries: 0 }
`);
  t.engine.start();
  await t.events.reached("app", "ready");
  await Deno.writeTextFile(`${dir}/broken`, "");
  const error = await t.engine.restart("app").then(() => undefined, (e: Error) => e);
  await Deno.remove(dir, { recursive: true });
  assertMatch(error?.message ?? "no error", /^restart of app failed: app failed: exit code 3$/);
});

Deno.test("shutdown waits for post scripts, level by level, before it ends", async () => {
  await using t = await testStack(`
services:
  db:
    command: exec sleep 30
    postScript: "sleep 0.3; echo db >> order"
  api:
    command: exec sleep 30
    dependsOn: [db]
    postScript: "sleep 0.3; echo api >> order"
`);
  t.engine.start();
  await t.events.reached("api", "ready");
  await t.engine.shutdown();
  const order = await Deno.readTextFile(`${t.dir}/order`).catch(() => "");
  assertEquals(order, "api\ndb\n", "the dependent's post script ran first, and both ended");
});

Deno.test("a post script is killed at the shutdown timeout", async () => {
  await using t = await testStack(`
stack: { shutdownTimeout: 800ms }
services:
  app:
    command: exec sleep 30
    postScript: { command: "echo begun; exec sleep 30", timeout: 1m }
`);
  t.engine.start();
  await t.events.reached("app", "ready");
  const began = performance.now();
  const said: string[] = [];
  await t.engine.shutdown({ onWait: (what) => said.push(what) });
  const took = performance.now() - began;
  assert(took >= 700 && took < 5_000, `the shutdown took ${took}ms`);
  const notes = t.logs.recent({ services: ["app"] }).map((r) => r.msg);
  assert(notes.includes("postScript failed: killed"), notes.join("\n"));
});
