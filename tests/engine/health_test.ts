/**
 * The health monitor on a fake clock, probing real servers on 127.0.0.1: the grace period and the
 * interval, success and failure thresholds (each counted in a row), probes that could not run, the
 * log probe and the expression. Time moves only when the test says; each probe's answer is awaited.
 */
import { assert, assertEquals } from "../assert.ts";
import { HealthMonitor } from "../../src/engine/health.ts";
import type { ProbeTarget } from "../../src/engine/ports.ts";
import type { ProbeAlias } from "../../src/domain/model.ts";
import { createProber } from "../../src/probe/mod.ts";
import { ProcessRuntime } from "../../src/runtime/process/runtime.ts";
import { FakeClock } from "../../src/testing/clock.ts";
import { within } from "../../src/testing/deadline.ts";
import { testHealth } from "../../src/testing/fixtures.ts";
import { switchableServer } from "../../src/testing/servers.ts";
import type { Health, HttpProbe } from "../../src/domain/model.ts";

/** A monitor on a fake clock, recording its results and verdict changes. */
async function monitored(
  health: Health,
  targets: Partial<Record<ProbeAlias, ProbeTarget>>,
): Promise<
  AsyncDisposable & {
    monitor: HealthMonitor;
    clock: FakeClock;
    results: string[];
    changes: [boolean, string][];
    /** Moves the clock by `ms` and waits for the probe that falls due then to answer. */
    tick(ms: number): Promise<string>;
    /** Resolves once `n` results have come. */
    counted(n: number): Promise<void>;
  }
> {
  const clock = new FakeClock(0);
  const runtime = new ProcessRuntime({ project: "/tmp", containment: "marker" });
  const results: string[] = [];
  const changes: [boolean, string][] = [];
  const waiters = new Set<() => void>();
  const monitor = new HealthMonitor(health, targets, {
    prober: createProber(runtime),
    clock,
    listener: {
      onResult: (probe, result) => {
        results.push(`${probe} ${result.outcome}: ${result.detail}`);
        for (const waiter of [...waiters]) waiter();
      },
      onChange: (healthy, detail) => changes.push([healthy, detail]),
    },
  });
  await runtime.containment();
  const counted = (n: number) => {
    const done = new Promise<void>((resolve) => {
      const check = () => {
        if (results.length < n) return;
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    });
    return within(done, 10_000, `${n} probe results (${results.length} so far)`);
  };
  return {
    counted,
    monitor,
    clock,
    results,
    changes,
    async tick(ms: number) {
      const next = counted(results.length + 1);
      clock.advance(ms);
      await next;
      return results.at(-1)!;
    },
    async [Symbol.asyncDispose]() {
      monitor.stop();
      await runtime.close();
    },
  };
}

const httpProbe = (url: string): HttpProbe => ({
  url,
  method: "GET",
  headers: {},
  expectStatus: [200],
});
const http = (url: string): ProbeTarget => ({ kind: "http", probe: httpProbe(url) });

Deno.test("probes wait for the grace period, then run every interval", async () => {
  await using server = switchableServer(200);
  await using m = await monitored(
    testHealth({ http: httpProbe(server.url), gracePeriodMs: 500, intervalMs: 1000 }),
    { http: http(server.url) },
  );
  m.monitor.start();
  assertEquals(m.clock.pending(), [500]);
  m.clock.advance(499);
  assertEquals([server.requests, m.results.length], [0, 0], "nothing before the grace period");
  assertEquals(await m.tick(1), "http ok: 200 OK");
  assertEquals(m.clock.pending(), [1000], "the next probe an interval after the answer");
  assertEquals(m.changes, [[true, "probe http: 200 OK"]]);
});

Deno.test("successThreshold: healthy only after that many passing probes in a row", async () => {
  await using server = switchableServer(503);
  await using m = await monitored(
    testHealth({ http: httpProbe(server.url), successThreshold: 3, intervalMs: 1000 }),
    { http: http(server.url) },
  );
  m.monitor.start();
  assertEquals(await m.tick(0), "http fail: 503 Service Unavailable");
  server.status = 200;
  await m.tick(1000);
  await m.tick(1000);
  assertEquals([m.monitor.healthy, m.changes], [false, []], "two passes are not three");
  server.status = 503;
  await m.tick(1000);
  server.status = 200;
  await m.tick(1000);
  await m.tick(1000);
  assertEquals(m.monitor.healthy, false, "a failure in between starts the count again");
  assertEquals(m.monitor.describe(), "probe http: 200 OK");
  await m.tick(1000);
  assertEquals([m.monitor.healthy, m.changes], [true, [[true, "probe http: 200 OK"]]]);
});

Deno.test("failureThreshold: unhealthy only after that many failing probes in a row", async () => {
  await using server = switchableServer(200);
  await using m = await monitored(
    testHealth({ http: httpProbe(server.url), failureThreshold: 3, intervalMs: 1000 }),
    { http: http(server.url) },
  );
  m.monitor.start();
  await m.tick(0);
  assertEquals(m.monitor.healthy, true);
  server.status = 500;
  await m.tick(1000);
  await m.tick(1000);
  assertEquals(m.monitor.healthy, true, "two failures are not three");
  server.status = 200;
  await m.tick(1000);
  server.status = 500;
  await m.tick(1000);
  await m.tick(1000);
  assertEquals(m.monitor.healthy, true, "a pass in between starts the count again");
  assertEquals(await m.tick(1000), "http fail: 500 Internal Server Error");
  assertEquals(m.monitor.healthy, false);
  assertEquals(m.changes, [
    [true, "probe http: 200 OK"],
    [false, "probe http: 500 Internal Server Error"],
  ]);
});

Deno.test("a probe that could not run is no failure: it neither passes nor fails", async () => {
  const bad: ProbeTarget = { kind: "tcp", probe: { address: "not an address" } };
  await using server = switchableServer(200);
  await using m = await monitored(
    testHealth({
      http: httpProbe(server.url),
      tcp: { address: "not an address" },
      expression: { op: "probe", name: "http" },
      failureThreshold: 1,
    }),
    { http: http(server.url), tcp: bad },
  );
  m.monitor.start();
  const both = m.counted(2);
  m.clock.advance(0);
  await both;
  assert(m.results.includes('tcp error: bad address "not an address"'), m.results.join("\n"));
  assertEquals(m.monitor.healthy, true, "the expression needs http only");
  assertEquals(m.monitor.describe(), 'probe tcp: bad address "not an address"');
});

Deno.test("the log probe passes on a matching line from its sources; || needs one side", async () => {
  await using server = switchableServer(503);
  await using m = await monitored(
    testHealth({
      http: httpProbe(server.url),
      log: { pattern: "listening on \\d+", sources: ["stderr"] },
      expression: {
        op: "or",
        left: { op: "probe", name: "http" },
        right: { op: "probe", name: "log" },
      },
    }),
    { http: http(server.url) },
  );
  m.monitor.start();
  await m.tick(0);
  assertEquals(m.monitor.healthy, false);
  assertEquals(
    m.monitor.describe(),
    "probe http: 503 Service Unavailable, probe log: no matching line yet",
  );
  m.monitor.logLine("stdout", "listening on 80");
  assertEquals(m.monitor.healthy, false, "stdout is not one of its sources");
  m.monitor.logLine("stderr", "listening on 80");
  assertEquals(m.changes, [[true, "probe log: matched: listening on 80"]]);
  m.monitor.stop();
  m.clock.advance(60_000);
  assertEquals(m.clock.pending(), [], "a stopped monitor probes no more");
});
