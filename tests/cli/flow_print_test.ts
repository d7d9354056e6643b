/** `orch flows`'s table: what NEXT says for a paused flow, an overdue one and a scheduled one. */
import { assertEquals } from "../assert.ts";
import { flowsTable } from "../../src/cli/flow_print.ts";
import { makeStyle } from "../../src/cli/style.ts";
import type { FlowSummary } from "../../src/control/mod.ts";

const base: FlowSummary = {
  name: "beat",
  schedules: ["*/5 * * * * *"],
  events: [],
  nextRuns: [],
  paused: false,
  running: [],
  queued: 0,
  recent: [],
};

function nextOf(flow: FlowSummary, now: number): string {
  const [, row] = flowsTable([flow], now, makeStyle(false)).trimEnd().split("\n");
  return row.split(/\s{2,}/)[2];
}

Deno.test("flows: NEXT is - when paused, now when due, the time to go otherwise", () => {
  const now = 1_000_000;
  assertEquals(nextOf({ ...base, nextRuns: [now + 2_000], paused: true }, now), "-");
  assertEquals(nextOf({ ...base, nextRuns: [now - 5] }, now), "now");
  assertEquals(nextOf({ ...base, nextRuns: [now + 2_000] }, now), "in 2s");
  assertEquals(nextOf({ ...base, nextRuns: [] }, now), "-");
});
