/**
 * A mass crash does not stampede: 50 real processes crash in a loop, restarted on a fake clock, and
 * the starts per 100 ms of that clock stay under the stack's documented cap.
 */
import { assert } from "../assert.ts";
import { testStack } from "../../src/testing/engine.ts";
import { FakeClock } from "../../src/testing/clock.ts";
import { seeded } from "../../src/testing/random.ts";
import { RESTART_BURST, RESTART_EVERY_MS } from "../../src/engine/limiter.ts";

Deno.test("50 services crashing together restart spread out, under the stack's restart cap", async () => {
  const clock = new FakeClock(0);
  const services = Array.from({ length: 50 }, (_, i) => `  s${i}: { command: "exit 1" }\n`)
    .join("");
  await using t = await testStack(
    `defaults:\n  restartPolicy: { maxRetries: unlimited }\nservices:\n${services}`,
    { clock, random: seeded(Date.now()).next },
  );
  const allBackoff = () => t.engine.status().every((s) => s.state === "backoff");
  t.engine.start();
  await t.events.until(allBackoff, "the first crash of all 50", 60_000);
  const initial = t.events.events.filter((e) => e.type === "state" && e.state === "starting")
    .length;
  assert(initial === 50, `the fan-out of up is not held back (${initial} started)`);
  const from = t.events.events.length;
  for (let ms = 0; ms < 4_000; ms += 10) {
    clock.advance(10);
    await t.events.until(allBackoff, `every crash at ${clock.now()}ms`, 60_000);
  }
  const starts = t.events.events.slice(from).flatMap((e) =>
    e.type === "state" && e.state === "starting" ? [e.ts] : []
  );
  const cap = RESTART_BURST + 100 / RESTART_EVERY_MS;
  const worst = Math.max(...starts.map((a) => starts.filter((b) => b >= a && b < a + 100).length));
  assert(starts.length >= 50, `${starts.length} restarts in 4 s`);
  assert(worst <= cap, `${worst} starts within 100 ms (cap ${cap})`);
});
