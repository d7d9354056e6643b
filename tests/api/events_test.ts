/**
 * `/v1/events` serves the bus: the engine's events, the flows' run and task events and the drop
 * notices, in the order they were published.
 */
import { assertEquals } from "../assert.ts";
import { createHandler, EventCounters } from "../../src/api/mod.ts";
import { EventBus } from "../../src/cli/bus.ts";
import { makeControl } from "../../src/cli/serve.ts";
import type { OrchEvent } from "../../src/domain/events.ts";
import { testStack } from "../../src/testing/engine.ts";

Deno.test("flow events and drop notices reach /v1/events and the metrics through the bus", async () => {
  await using t = await testStack(`services:\n  s: { command: "exec sleep 30" }\n`);
  const bus = new EventBus();
  const counters = new EventCounters();
  bus.listen(counters.observe);
  const control = makeControl({
    engine: t.engine,
    logs: t.logs,
    bus,
    project: t.dir,
    files: [`${t.dir}/stack.yaml`],
    startedAt: Date.now(),
    env: () => undefined,
    shutdown: () => {},
  });
  const handler = createHandler(control, { keepAliveMs: 60_000, counters });
  const response = await handler(new Request("http://orch/v1/events"));
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  assertEquals((await reader.read()).value, ": orch events\n\n");
  const published: OrchEvent[] = [
    {
      type: "run",
      ts: 1,
      flow: "nightly",
      run: 7,
      status: "running",
      previous: "queued",
      trigger: { kind: "manual", detail: "orch flow run" },
      reason: undefined,
      failures: [],
    },
    { type: "dropped", ts: 2, of: "log", consumer: "api", count: 12 },
  ];
  for (const event of published) bus.publish(event);
  let text = "";
  while (!text.includes('"type":"dropped"')) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the stream ended: ${text}`);
    text += value;
  }
  await reader.cancel();
  const frames = text.trim().split("\n\n").map((frame) => {
    const [event, data] = frame.split("\n");
    return [event.slice("event: ".length), JSON.parse(data.slice("data: ".length)).type];
  });
  assertEquals(frames, [["run", "run"], ["dropped", "dropped"]]);
  const metrics = await (await handler(new Request("http://orch/metrics"))).text();
  assertEquals(/^orch_dropped_total\{[^}]*,of="log",consumer="api"\} 12$/m.test(metrics), true);
  assertEquals(/^orch_events_total\{[^}]*type="run"\} 1$/m.test(metrics), true, metrics);
  bus.close();
});
