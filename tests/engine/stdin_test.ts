import { assertEquals, assertRejects } from "../assert.ts";
import { testStack } from "../../src/testing/engine.ts";
import { FakeClock } from "../../src/testing/clock.ts";
import { ConflictError, UsageError } from "../../src/domain/errors.ts";

Deno.test("send to a service that does not read its stdin fails after 5s, bounded in size", async () => {
  const clock = new FakeClock();
  await using t = await testStack(
    `services:\n  deaf: { kind: daemon, command: exec sleep 300 }\n`,
    {
      clock,
    },
  );
  t.engine.start();
  await t.events.reached("deaf", "ready");
  const chunk = "x".repeat(60 * 1024);
  // The pipe takes the first 60 KiB; the second cannot go through until sleep reads, never.
  assertEquals(await t.engine.send("deaf", chunk), 1);
  const second = t.engine.send("deaf", chunk);
  let settled = false;
  second.catch(() => {}).finally(() => (settled = true));
  // More than 64 KiB waiting is refused at once.
  assertEquals(
    (await assertRejects(() => t.engine.send("deaf", "y".repeat(10 * 1024)), ConflictError))
      .message,
    "deaf is not reading its stdin (61 KiB pending)",
  );
  assertEquals(settled, false);
  clock.advance(5_000);
  assertEquals(
    (await assertRejects(() => second, ConflictError)).message,
    "deaf is not reading its stdin (61 KiB pending after 5s)",
  );
  assertEquals(
    (await assertRejects(() => t.engine.send("deaf", "z".repeat(70 * 1024)), UsageError)).message,
    "a send carries at most 64 KiB, not 71 KiB",
  );
});

Deno.test("send to a service that reads its stdin goes through, line after line", async () => {
  await using t = await testStack(`services:
  cat:
    kind: daemon
    command: ["sh", "-c", "while read -r l; do echo got $$l; done"]
`);
  t.engine.start();
  await t.events.reached("cat", "ready");
  for (let i = 0; i < 20; i++) await t.engine.send("cat", `${i} ${"x".repeat(30 * 1024)}`);
  await t.events.until(
    () =>
      t.logs.recent({ services: ["cat"] }).filter((r) => r.msg.startsWith("got ")).length === 20,
    "20 lines echoed",
  );
});
