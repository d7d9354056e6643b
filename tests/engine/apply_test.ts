import { assert, assertEquals, assertMatch } from "../assert.ts";
import { loadStack } from "../../src/config/load.ts";
import { testStack } from "../../src/testing/engine.ts";
import { freePortPrefix } from "../../src/testing/net.ts";
import type { TestStack } from "../../src/testing/engine.ts";

function webStack(prefix: string, version: string, update: string, command?: string): string {
  return `
services:
  web:
    replicas: 3
    env: { VERSION: "${version}" }
    command: ${
    command ??
      `"echo version $VERSION; exec python3 -u -m http.server ${prefix}\${ORCH_REPLICA} --bind 127.0.0.1"`
  }
    health:
      http: { url: "http://127.0.0.1:${prefix}\${ORCH_REPLICA}/" }
      interval: 100ms
      failureThreshold: 2
    update: ${update}
`;
}

async function reload(t: TestStack, yaml: string) {
  await Deno.writeTextFile(`${t.dir}/stack.yaml`, yaml);
  return (await loadStack([`${t.dir}/stack.yaml`])).stack;
}

/** Records the number of ready web instances after every engine event and log record. */
function sampleReady(t: TestStack): number[] & { stop: () => void } {
  const samples: number[] = [];
  const stop = t.events.watch(() => {
    samples.push(
      t.engine.status().filter((s) => s.service === "web" && s.state === "ready").length,
    );
  });
  return Object.assign(samples, { stop });
}

for (
  const [update, floor] of [
    ["{ strategy: rolling, maxUnavailable: 1, maxSurge: 0 }", 2],
    ["{ strategy: rolling, maxUnavailable: 0, maxSurge: 1 }", 3],
  ] as const
) {
  Deno.test(`a rolling apply keeps at least ${floor} of 3 replicas ready (${update})`, async () => {
    const prefix = freePortPrefix();
    await using t = await testStack(webStack(prefix, "1", update));
    t.engine.start();
    await t.events.until(
      () => t.engine.status().filter((s) => s.state === "ready").length === 3,
      "three ready replicas",
    );
    const samples = sampleReady(t);
    const next = await reload(t, webStack(prefix, "2", update));
    const plan = t.engine.plan(next);
    assertEquals(plan.changed.map((c) => [c.service, c.fields]), [["web", ["env"]]]);
    const result = await t.engine.apply(next);
    samples.stop();
    assertEquals(result.failed, {});
    assert(samples.length > 10, `sampled ${samples.length} times`);
    assert(Math.min(...samples) >= floor, `ready dropped to ${Math.min(...samples)}: ${samples}`);
    const status = t.engine.status();
    assertEquals(status.length, 3);
    assert(status.every((s) => s.state === "ready"), JSON.stringify(status.map((s) => s.state)));
    const versions = t.logs.recent({ services: ["web"] }).filter((r) => r.msg.startsWith("version"))
      .map((r) => r.msg);
    assertEquals(versions.filter((v) => v === "version 2").length, 3);
    const rollout = t.events.events.filter((e) => e.type === "rollout").map((e) =>
      e.type === "rollout" ? e.phase : ""
    );
    assertEquals([rollout[0], rollout.at(-1)], ["started", "done"]);
  });
}

Deno.test("a broken new version is rolled back and the old replicas keep serving", async () => {
  const prefix = freePortPrefix();
  const update = "{ strategy: rolling, maxUnavailable: 1, maxSurge: 0 }";
  await using t = await testStack(webStack(prefix, "1", update));
  t.engine.start();
  await t.events.until(
    () => t.engine.status().filter((s) => s.state === "ready").length === 3,
    "three ready replicas",
  );
  const samples = sampleReady(t);
  const broken = await reload(t, webStack(prefix, "2", update, `"echo version $VERSION; exit 3"`));
  const result = await t.engine.apply(broken);
  samples.stop();
  assertMatch(result.failed.web ?? "", /web\.\d backoff: exit code 3/);
  assert(Math.min(...samples) >= 2, `ready dropped to ${Math.min(...samples)}`);
  await t.events.until(
    () => t.engine.status().filter((s) => s.state === "ready").length === 3,
    "three ready replicas after the rollback",
  );
  assertEquals(t.engine.status().length, 3);
  const phases = t.events.events.flatMap((e) => e.type === "rollout" ? [e.phase] : []);
  assert(phases.includes("failed") && phases.at(-1) === "rolledBack", phases.join(" "));
  // The stack still holds the old definition, so that applying the fix is a change again.
  assertEquals(t.engine.stack.services.web.env.VERSION, "1");
  const fixed = await reload(t, webStack(prefix, "3", update));
  assertEquals(t.engine.plan(fixed).changed.map((c) => c.service), ["web"]);
});

Deno.test("scale adds and removes replicas; apply adds, removes and leaves the rest alone", async () => {
  await using t = await testStack(`
services:
  a: { command: "exec sleep 30" }
  b: { command: "exec sleep 30" }
`);
  t.engine.start();
  await t.events.until(() => t.engine.status().every((s) => s.state === "ready"), "ready");
  const pidA = t.engine.status()[0].pid;
  await t.engine.scale("b", 3);
  await t.events.until(
    () => t.engine.status().filter((s) => s.service === "b" && s.state === "ready").length === 3,
    "three b",
  );
  assertEquals(t.engine.status().map((s) => s.id), ["a", "b.0", "b.1", "b.2"]);
  await t.engine.scale("b", 1);
  assertEquals(t.engine.status().map((s) => s.id), ["a", "b"]);
  await Deno.writeTextFile(
    `${t.dir}/stack.yaml`,
    `services:\n  a: { command: "exec sleep 30" }\n  c: { command: "exec sleep 31" }\n`,
  );
  const next = (await loadStack([`${t.dir}/stack.yaml`])).stack;
  const result = await t.engine.apply(next);
  assertEquals(
    [result.plan.added, result.plan.removed, result.plan.unchanged],
    [["c"], ["b"], ["a"]],
  );
  await t.events.until(() => t.engine.status().every((s) => s.state === "ready"), "c ready");
  assertEquals(t.engine.status().map((s) => s.id), ["a", "c"]);
  assertEquals(t.engine.status()[0].pid, pidA, "the unchanged service was not touched");
});

Deno.test("dependents with restart: true restart after their dependency is ready again", async () => {
  await using t = await testStack(`
services:
  db: { command: "exec sleep 30" }
  api:
    command: "exec sleep 30"
    dependsOn: [{ target: db, require: ready, restart: true }]
  other:
    command: "exec sleep 30"
    dependsOn: [db]
`);
  t.engine.start();
  await t.events.until(() => t.engine.status().every((s) => s.state === "ready"), "ready");
  const [db, api, other] = t.engine.status().map((s) => s.pid);
  await t.engine.restart("db");
  await t.events.until(
    () => t.engine.status()[1].restarts === 1 && t.engine.status()[1].state === "ready",
    "api restarted",
  );
  const after = t.engine.status();
  assert(after[0].pid !== db && after[1].pid !== api, "db and api have new processes");
  assertEquals(after[2].pid, other, "a dependent without restart: true is left alone");
  const order = t.events.events.flatMap((e) =>
    e.type === "state" && e.state === "ready" ? [e.service] : []
  );
  assert(order.lastIndexOf("db") < order.lastIndexOf("api"), order.join(" "));
});
