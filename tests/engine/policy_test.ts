/**
 * The engine's policies on a fake clock, with real processes and probes against real servers on
 * 127.0.0.1: success and failure thresholds decide when an instance is ready and unready, and a
 * dependency's timeout fails its dependent exactly when it passes. Each would survive a mutation
 * that a real-time test cannot see (a threshold ignored, a timeout tripled).
 */
import { assertEquals } from "../assert.ts";
import { FakeClock } from "../../src/testing/clock.ts";
import { testStack } from "../../src/testing/engine.ts";
import { switchableServer } from "../../src/testing/servers.ts";
import { waitFor } from "../../src/testing/deadline.ts";

const probeEvents = (t: Awaited<ReturnType<typeof testStack>>, service: string) =>
  t.events.events.filter((e) => e.type === "probe" && e.service === service).length;

Deno.test("successThreshold: an instance is ready after that many passing probes in a row, not before", async () => {
  await using server = switchableServer(200);
  const clock = new FakeClock();
  await using t = await testStack(
    `
services:
  web:
    command: exec sleep 30
    health:
      http: { url: "${server.url}" }
      interval: 1s
      successThreshold: 3
`,
    { clock },
  );
  const web = () => t.engine.status()[0];
  t.engine.start();
  await t.events.reached("web", "running");
  for (let n = 1; n <= 3; n++) {
    clock.advance(n === 1 ? 0 : 1000);
    await t.events.until(() => probeEvents(t, "web") === n, `probe ${n} of web`);
    assertEquals(web().state, n < 3 ? "running" : "ready", `after ${n} passing probe(s)`);
  }
  assertEquals(web().message, "probe http: 200 OK");
});

Deno.test("failureThreshold: a ready instance is unready after that many failing probes in a row, not before", async () => {
  await using server = switchableServer(200);
  const clock = new FakeClock();
  await using t = await testStack(
    `
services:
  web:
    command: exec sleep 30
    health:
      http: { url: "${server.url}" }
      interval: 1s
      failureThreshold: 3
      onFailure: unready
`,
    { clock },
  );
  const web = () => t.engine.status()[0];
  let n = 0;
  const probe = async (status: number) => {
    server.status = status;
    clock.advance(n === 0 ? 0 : 1000);
    n++;
    await t.events.until(() => probeEvents(t, "web") === n, `probe ${n} of web`);
  };
  t.engine.start();
  await t.events.reached("web", "running");
  await probe(200);
  assertEquals(web().state, "ready");
  await probe(503);
  await probe(503);
  assertEquals(web().state, "ready", "two failures are not three");
  await probe(200);
  await probe(503);
  await probe(503);
  assertEquals(web().state, "ready", "a pass in between starts the count again");
  await probe(503);
  assertEquals(
    [web().state, web().message, web().pid !== undefined],
    ["running", "unready: probe http: 503 Service Unavailable", true],
  );
});

Deno.test("a dependency's timeout fails its dependent when it passes, not a moment later", async () => {
  await using server = switchableServer(503);
  const clock = new FakeClock();
  await using t = await testStack(
    `
services:
  db:
    command: exec sleep 30
    health: { http: { url: "${server.url}" }, interval: 10m }
  api:
    command: exec sleep 30
    dependsOn: [{ target: db, timeout: 1m }]
`,
    { clock },
  );
  const api = () => t.engine.status().find((s) => s.service === "api")!;
  t.engine.start();
  await t.events.reached("db", "running");
  clock.advance(0);
  await t.events.until(() => probeEvents(t, "db") === 1, "db's first probe");
  // A blocked reason that changes is no event: look until it says so.
  await waitFor(
    () => api().blocked?.detail === "probe http: 503 Service Unavailable",
    () => `api blocked on db's probe (${api().message})`,
  );
  assertEquals(
    api().message,
    "blocked: dependency db not ready (timeout 1m, probe http: 503 Service Unavailable)",
  );
  clock.advance(59_999);
  assertEquals(api().state, "waiting", "a millisecond before the timeout it still waits");
  clock.advance(1);
  await t.events.reached("api", "failed", 5_000);
  assertEquals(
    api().message,
    "dependency db not ready after 1m (probe http: 503 Service Unavailable)",
  );
  assertEquals(api().blocked?.because, "timed-out");
});
