import { assert, assertEquals } from "../assert.ts";
import { RESTART_BURST, RESTART_EVERY_MS, RestartLimiter } from "../../src/engine/limiter.ts";
import { FakeClock } from "../../src/testing/clock.ts";

Deno.test("the restart limiter lets a burst through, then one every interval, in order", () => {
  const clock = new FakeClock(0);
  const limiter = new RestartLimiter(clock, { burst: 3, everyMs: 50 });
  const ran: [number, number][] = [];
  let held = 0;
  for (let i = 0; i < 6; i++) limiter.acquire(() => ran.push([i, clock.now()]), () => held++);
  assertEquals(ran, [[0, 0], [1, 0], [2, 0]]);
  assertEquals(held, 3);
  clock.advance(200);
  assertEquals(ran.slice(3), [[3, 50], [4, 100], [5, 150]]);
  clock.advance(1_000);
  for (let i = 6; i < 9; i++) limiter.acquire(() => ran.push([i, clock.now()]));
  assertEquals(ran.length, 9, "a quiet spell refills the bucket");
});

Deno.test("a withdrawn wait never runs and leaves no timer behind", () => {
  const clock = new FakeClock(0);
  const limiter = new RestartLimiter(clock, { burst: 1, everyMs: 100 });
  let ran = 0;
  limiter.acquire(() => ran++);
  const cancel = limiter.acquire(() => ran++);
  cancel();
  assertEquals(clock.pending(), []);
  clock.advance(500);
  assertEquals(ran, 1);
  const late = limiter.after(30, () => ran++);
  late();
  clock.advance(500);
  assertEquals(ran, 1);
});

Deno.test("the defaults allow at most 7 restarts in any 100 ms window", () => {
  const clock = new FakeClock(0);
  const limiter = new RestartLimiter(clock);
  const at: number[] = [];
  for (let i = 0; i < 100; i++) limiter.acquire(() => at.push(clock.now()));
  clock.advance(10_000);
  assertEquals(at.length, 100);
  const worst = Math.max(...at.map((t) => at.filter((u) => u >= t && u < t + 100).length));
  assert(worst <= RESTART_BURST + 100 / RESTART_EVERY_MS, `${worst} in one window`);
});
