/**
 * The TUI loop over the control interface of a real engine, on a scripted terminal: the table
 * follows the stack's events as they happen (no polling: CPU and memory are refreshed once an
 * hour here), keys drive the stack through the control, and the terminal is restored.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { EventBus } from "../../src/cli/bus.ts";
import { makeControl } from "../../src/cli/serve.ts";
import { testStack } from "../../src/testing/engine.ts";
import { ScriptedTerminal } from "../../src/testing/terminal.ts";
import { runTui } from "../../src/tui/app.ts";

Deno.test("the table follows the stack's events; r restarts through the control", async () => {
  await using t = await testStack(`
services:
  db: { command: "exec sleep 30" }
  api: { command: "echo api up; exec sleep 30", dependsOn: [db] }
`);
  const bus = new EventBus();
  let fed = 0;
  const stopFeeding = t.events.watch(() => {
    for (; fed < t.events.events.length; fed++) bus.publish(t.events.events[fed]);
  });
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
  const term = new ScriptedTerminal(110, 24);
  const ended = Promise.withResolvers<void>();
  const running = runTui(control, term, {
    ownsStack: false,
    save: () => Promise.resolve("nowhere"),
    usageMs: 3_600_000,
    ended: ended.promise,
  });
  try {
    await term.until((s) => s.includes("SERVICE"), "the table's header");
    t.engine.start();
    await term.until(
      (s) => /db\s+ready\s+true/.test(s) && /api\s+ready\s+true/.test(s),
      "db and api ready on screen",
    );
    await term.until((s) => /api\s+│ api up/.test(s), "api's line in the log pane");
    // The cursor is on db: r restarts it, the table shows the restart.
    term.press("r");
    await term.until((s) => /db\s+ready\s+true\s+1\/1\s+1\s/.test(s), "db restarted once");
    assertEquals(t.engine.status().find((i) => i.service === "db")?.restarts, 1);
  } finally {
    ended.resolve();
    const { stats } = await running;
    stopFeeding();
    bus.close();
    assert(term.restored, "the terminal is restored");
    assert(stats.frames > 0 && stats.snapshots > 0, JSON.stringify(stats));
    assertMatch(term.text(), /restarted db/);
  }
});
