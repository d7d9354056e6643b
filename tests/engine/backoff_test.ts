import { assertEquals } from "../assert.ts";
import { FakeClock } from "../../src/testing/clock.ts";
import { testStack } from "../../src/testing/engine.ts";

Deno.test("the restart schedule follows the backoff policy on a fake clock", async () => {
  const clock = new FakeClock();
  await using t = await testStack(
    `
services:
  flaky:
    command: "exit 3"
    restartPolicy: { maxRetries: 4, backoff: { min: 100ms, max: 500ms, factor: 2, jitter: 0 } }
`,
    { clock },
  );
  t.engine.start();
  const starts = () => t.events.states("flaky").filter((s) => s === "starting").length;
  const delays: number[] = [];
  for (let restart = 0; restart < 4; restart++) {
    await t.events.until(
      () =>
        t.engine.status()[0].state === "backoff" && t.engine.status()[0].restarts === restart + 1,
      `backoff number ${restart + 1}`,
    );
    const [delay] = clock.pending();
    delays.push(delay);
    const before = starts();
    clock.advance(delay - 1);
    await Promise.resolve();
    assertEquals([starts(), clock.pending()], [before, [1]], "no restart before the delay");
    clock.advance(1);
    await t.events.until(() => starts() === before + 1, "the restart once the delay has passed");
  }
  assertEquals(delays, [100, 200, 400, 500]);
  await t.events.reached("flaky", "failed");
  assertEquals(t.engine.status()[0].message, "gave up after 4 restarts: exit code 3");
});

Deno.test("jitter spreads the restarts of many services crashing together", async () => {
  const clock = new FakeClock();
  const names = Array.from({ length: 20 }, (_, i) => `s${i}`);
  await using t = await testStack(
    `
services:
${
      names.map((n) =>
        `  ${n}: { command: "exit 1", restartPolicy: { backoff: { min: 1s, max: 10s, jitter: 0.5 } } }`
      ).join("\n")
    }
`,
    { clock },
  );
  t.engine.start();
  await t.events.until(
    () => t.engine.status().every((s) => s.state === "backoff"),
    "every service in backoff",
  );
  const delays = clock.pending();
  assertEquals(delays.length, 20);
  for (const d of delays) {
    // The first restart: anywhere from min (1s) to the second delay (min * factor = 2s).
    if (d < 1000 || d > 2000) throw new Error(`delay ${d} outside 1s to 2s`);
  }
  const distinct = new Set(delays).size;
  if (distinct < 15) throw new Error(`restarts bunch up: ${delays.join(", ")}`);
});

Deno.test("staying up for the stable period resets the backoff", async () => {
  const clock = new FakeClock();
  await using t = await testStack(
    `
services:
  s:
    command: "read line; exit 1"
    restartPolicy: { backoff: { min: 100ms, max: 10s, factor: 2, jitter: 0 }, stablePeriod: 5s }
`,
    { clock },
  );
  t.engine.start();
  const crash = async (n: number) => {
    await t.events.until(
      () =>
        t.engine.status()[0].state === "ready" &&
        t.events.states("s").filter((x) => x === "ready").length === n,
      `start ${n}`,
    );
    await t.engine.send("s", "crash");
    await t.events.until(() => t.engine.status()[0].state === "backoff", `backoff ${n}`);
    return clock.pending()[0];
  };
  const first = await crash(1);
  clock.advance(first);
  const second = await crash(2);
  clock.advance(second);
  await t.events.until(() => t.engine.status()[0].state === "ready", "third start");
  clock.advance(6_000);
  const afterStable = await crash(3);
  assertEquals([first, second, afterStable], [100, 200, 100]);
});
