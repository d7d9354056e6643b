/**
 * Fire times: 5 and 6 fields, nicknames, @every, several schedules, and the DST policy in two time
 * zones (a skipped fixed time runs once right after the gap; a repeated hour runs once).
 */
import { assertEquals } from "../assert.ts";
import { FlowTimes, isSecondPass, ScheduleTimes } from "../../src/schedule/cron.ts";
import type { Schedule } from "../../src/domain/flow.ts";

const cron = (expr: string): Schedule => ({ kind: "cron", expr });
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? "never" : new Date(ms).toISOString());

function fires(expr: string, zone: string, from: string, count: number): string[] {
  const times = new ScheduleTimes(cron(expr), zone);
  const out: string[] = [];
  let cursor = at(from);
  for (let i = 0; i < count; i++) {
    const next = times.next(cursor);
    out.push(iso(next));
    if (next === undefined) break;
    cursor = next;
  }
  return out;
}

Deno.test("5 and 6 fields, nicknames and time zones", () => {
  assertEquals(fires("*/15 * * * * *", "UTC", "2025-01-01T00:00:00Z", 3), [
    "2025-01-01T00:00:15.000Z",
    "2025-01-01T00:00:30.000Z",
    "2025-01-01T00:00:45.000Z",
  ]);
  assertEquals(fires("0 9 * * 1-5", "Asia/Tokyo", "2025-01-03T00:00:00Z", 2), [
    "2025-01-06T00:00:00.000Z", // Monday 09:00 in Tokyo
    "2025-01-07T00:00:00.000Z",
  ]);
  assertEquals(fires("@hourly", "UTC", "2025-01-01T00:30:00Z", 1), ["2025-01-01T01:00:00.000Z"]);
  assertEquals(fires("@weekly", "UTC", "2025-01-01T00:00:00Z", 1), ["2025-01-05T00:00:00.000Z"]);
});

Deno.test("@every is aligned on the epoch; a flow fires on the earliest of its schedules", () => {
  const every = new ScheduleTimes({ kind: "every", everyMs: 30_000, expr: "@every 30s" });
  assertEquals(iso(every.next(at("2025-01-01T00:00:10Z"))), "2025-01-01T00:00:30.000Z");
  assertEquals(iso(every.next(at("2025-01-01T00:00:30Z"))), "2025-01-01T00:01:00.000Z");
  const flow = new FlowTimes({
    schedules: [cron("0 12 * * *"), { kind: "every", everyMs: 3_600_000, expr: "@every 1h" }],
    timezone: "UTC",
  });
  assertEquals(flow.upcoming(at("2025-01-01T10:30:00Z"), 3).map(iso), [
    "2025-01-01T11:00:00.000Z",
    "2025-01-01T12:00:00.000Z",
    "2025-01-01T13:00:00.000Z",
  ]);
});

Deno.test("America/New_York: 02:30 skipped by spring-forward runs once at 03:00", () => {
  // 2025-03-09: 02:00 EST -> 03:00 EDT (07:00Z).
  assertEquals(fires("30 2 * * *", "America/New_York", "2025-03-08T12:00:00Z", 3), [
    "2025-03-09T07:00:00.000Z", // 03:00 EDT, right after the gap
    "2025-03-10T06:30:00.000Z", // 02:30 EDT
    "2025-03-11T06:30:00.000Z",
  ]);
  // Lists count as fixed times: 02:00 is not lost.
  assertEquals(fires("0 2,14 * * *", "America/New_York", "2025-03-09T05:00:00Z", 2), [
    "2025-03-09T07:00:00.000Z",
    "2025-03-09T18:00:00.000Z",
  ]);
  // An hourly job keeps its real-time rhythm: nothing twice after the gap.
  assertEquals(fires("0 * * * *", "America/New_York", "2025-03-09T06:30:00Z", 2), [
    "2025-03-09T07:00:00.000Z",
    "2025-03-09T08:00:00.000Z",
  ]);
});

Deno.test("America/New_York: the repeated 01:00 hour runs once when clocks go back", () => {
  // 2025-11-02: 02:00 EDT -> 01:00 EST (06:00Z); 01:00-01:59 happens twice.
  assertEquals(fires("30 1 * * *", "America/New_York", "2025-11-01T12:00:00Z", 2), [
    "2025-11-02T05:30:00.000Z", // 01:30 EDT, the first pass
    "2025-11-03T06:30:00.000Z",
  ]);
  assertEquals(fires("0 * * * *", "America/New_York", "2025-11-02T04:30:00Z", 3), [
    "2025-11-02T05:00:00.000Z", // 01:00 EDT
    "2025-11-02T07:00:00.000Z", // 02:00 EST: 01:00 EST (06:00Z) is the second pass
    "2025-11-02T08:00:00.000Z",
  ]);
  assertEquals(isSecondPass(at("2025-11-02T06:30:00Z"), "America/New_York"), true);
  assertEquals(isSecondPass(at("2025-11-02T05:30:00Z"), "America/New_York"), false);
});

Deno.test("Europe/Berlin: both transitions, every 15 minutes and at fixed times", () => {
  // 2025-03-30: 02:00 CET -> 03:00 CEST (01:00Z).
  assertEquals(fires("*/15 * * * *", "Europe/Berlin", "2025-03-30T00:40:00Z", 3), [
    "2025-03-30T00:45:00.000Z", // 01:45 CET
    "2025-03-30T01:00:00.000Z", // 03:00 CEST, once
    "2025-03-30T01:15:00.000Z",
  ]);
  assertEquals(fires("30 2 * * *", "Europe/Berlin", "2025-03-29T12:00:00Z", 1), [
    "2025-03-30T01:00:00.000Z",
  ]);
  // 2025-10-26: 03:00 CEST -> 02:00 CET (01:00Z); 02:00-02:59 happens twice.
  assertEquals(fires("*/15 * * * *", "Europe/Berlin", "2025-10-26T00:40:00Z", 3), [
    "2025-10-26T00:45:00.000Z", // 02:45 CEST
    "2025-10-26T02:00:00.000Z", // 03:00 CET: the second pass 02:00-02:45 CET is not run
    "2025-10-26T02:15:00.000Z",
  ]);
  assertEquals(fires("0 2 * * *", "Europe/Berlin", "2025-10-25T12:00:00Z", 2), [
    "2025-10-26T00:00:00.000Z", // 02:00 CEST
    "2025-10-27T01:00:00.000Z",
  ]);
});

Deno.test("between() lists missed times, the most recent ones when there are too many", () => {
  const flow = new FlowTimes({ schedules: [cron("* * * * * *")], timezone: "UTC" });
  const from = at("2025-01-01T00:00:00Z");
  const missed = flow.between(from, from + 5_000);
  assertEquals(missed.map((m) => m.at - from), [1000, 2000, 3000, 4000, 5000]);
  const week = flow.between(from, from + 7 * 86_400_000, 10);
  assertEquals(week.length, 10);
  assertEquals(iso(week[9].at), "2025-01-08T00:00:00.000Z");
});
