/** The event bus: listeners see every event in order; a slow subscriber skips with a notice. */
import { assertEquals } from "../assert.ts";
import { EventBus } from "../../src/cli/bus.ts";
import type { OrchEvent } from "../../src/domain/events.ts";

const stack = (ts: number): OrchEvent => ({ type: "stack", ts, phase: "running", message: "" });

Deno.test("listeners get every event, in the order they came, before any subscriber", async () => {
  const bus = new EventBus();
  const seen: string[] = [];
  const sub = bus.subscribe();
  bus.listen((e) => seen.push(`a${e.ts}`));
  const stop = bus.listen((e) => seen.push(`b${e.ts}`));
  bus.publish(stack(1));
  stop();
  bus.publish(stack(2));
  bus.close();
  const queued: number[] = [];
  for await (const e of sub) queued.push(e.ts);
  assertEquals(seen, ["a1", "b1", "a2"]);
  assertEquals(queued, [1, 2]);
});

Deno.test("a subscriber that falls behind skips ahead and is told how many events it missed", async () => {
  const bus = new EventBus({ now: () => 7 });
  const sub = bus.subscribe();
  for (let i = 0; i < 10_005; i++) bus.publish(stack(i));
  bus.close();
  const first = (await sub[Symbol.asyncIterator]().next()).value;
  assertEquals(first, { type: "dropped", ts: 7, of: "events", consumer: "events", count: 5 });
});
