/**
 * Every seed document's example stack runs as far as its commands exist on this machine: what can
 * run gets ready or completes; what cannot says exactly why, and its dependents say what they wait on.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { testStackFromFiles } from "../../src/testing/engine.ts";
import type { InstanceStatus } from "../../src/engine/engine.ts";
import { within } from "../../src/testing/deadline.ts";

const seeds = new URL("../../examples/seeds/", import.meta.url).pathname;

function byId(list: InstanceStatus[]): Record<string, InstanceStatus> {
  return Object.fromEntries(list.map((s) => [s.id, s]));
}

Deno.test("seed 000 (orchestrate.toml): every task runs, the smoke test reads the server", async () => {
  await using t = await testStackFromFiles([`${seeds}orchestrate.toml`]);
  t.engine.start();
  await t.events.until(
    () => {
      const s = byId(t.engine.status());
      return s.smoke?.state === "completed" && s.ticker?.state === "ready";
    },
    "smoke completed and ticker running",
    30_000,
  );
  const s = byId(t.engine.status());
  assertEquals([s.prepare.state, s.server.state], ["completed", "ready"]);
  assertMatch(t.logs.recent({ services: ["smoke"] }).map((r) => r.msg).join("\n"), /<!DOCTYPE/i);
  assertEquals(t.logs.recent({ services: ["prepare"] }).map((r) => r.msg), [
    "preparing",
    "prepared",
  ]);
});

Deno.test("seed 001 (stack.yaml): containers wait for the Docker runtime, web waits on api", async () => {
  await using t = await testStackFromFiles([`${seeds}orco-stack.yaml`]);
  t.engine.start();
  await t.events.until(
    () => {
      const s = byId(t.engine.status());
      return s.db?.state === "backoff" && s.web?.message.startsWith("blocked");
    },
    "db retried and web blocked",
    20_000,
  );
  const s = byId(t.engine.status());
  assertMatch(s.db.message, /docker|image/);
  assertMatch(s["api.0"].message, /^blocked: dependency db not ready \(timeout 1m/);
  assertMatch(s.web.message, /^blocked: dependency api blocked \(dependency db not ready/);
});

for (const file of ["services.toml", "webapp.toml"]) {
  Deno.test(`seed 002 (${file}): missing programs are named, dependents blocked, run ends`, async () => {
    await using t = await testStackFromFiles([`${seeds}${file}`]);
    t.engine.start();
    const outcome = await within(t.engine.idle(), 60_000, `${file} to settle`);
    assertEquals(outcome.code, 1);
    for (const s of t.engine.status()) {
      if (s.state === "failed") assertMatch(s.message, /no such executable|not found|exit code/);
      else {
        assertEquals(s.state, "waiting", `${s.id}: ${s.message}`);
        assertMatch(
          s.message,
          /^blocked: dependency \S+ (failed|blocked) .*(no such executable|exit code)/,
        );
      }
    }
    assert(outcome.summary.length > 0);
  });
}

Deno.test("examples/demo runs: every service ready, the api's replicas behind the web", async () => {
  const demo = new URL("../../examples/demo/stack.yaml", import.meta.url).pathname;
  await using t = await testStackFromFiles([demo]);
  t.engine.start();
  await t.events.until(
    () => t.engine.status().every((s) => s.state === "ready" || s.state === "completed"),
    "every demo service ready",
    60_000,
  );
  assertEquals(t.engine.status().map((s) => s.id), [
    "db",
    "migrate",
    "api.0",
    "api.1",
    "web",
    "traffic",
  ]);
  await t.events.until(
    () => t.logs.recent({ services: ["traffic"] }).some((r) => /-> 200/.test(r.msg)),
    "traffic through web to the api",
  );
});
