/**
 * The history in a real SQLite file: runs and task rows, idempotency keys, pages, retention,
 * schema versions.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { SqliteHistory } from "../../src/store/sqlite.ts";
import type { NewRun } from "../../src/store/history.ts";
import { DatabaseSync } from "node:sqlite";
import { scratchDir } from "../../src/testing/recorder.ts";

async function tempDb(): Promise<string> {
  return `${await scratchDir("orch-history-")}/sub/history.db`;
}

const newRun = (over: Partial<NewRun> = {}): NewRun => ({
  flow: "f",
  status: "running",
  trigger: { kind: "manual", detail: "" },
  payload: { id: 7 },
  queuedAt: 1000,
  startedAt: 1000,
  tasks: ["a", "b"],
  ...over,
});

Deno.test("a run is recorded with its tasks' first rows; rows are replaced per attempt", async () => {
  const path = await tempDb();
  const db = new SqliteHistory(path);
  const { run, created } = db.createRun(newRun());
  assert(created);
  assertEquals([run.flow, run.status, run.payload, run.interruptions], [
    "f",
    "running",
    { id: 7 },
    0,
  ]);
  assertEquals(db.tasks(run.id).map((t) => [t.task, t.attempt, t.state]), [
    ["a", 1, "pending"],
    ["b", 1, "pending"],
  ]);
  const row = db.taskRun(run.id, "a")!;
  db.putTask({
    ...row,
    state: "retrying",
    exit: { code: 75, signal: null },
    error: "exit code 75",
  });
  db.putTask({
    ...row,
    attempt: 2,
    state: "succeeded",
    outputs: { rows: "42" },
    logPath: "/x.log",
  });
  assertEquals(db.taskRun(run.id, "a")!.outputs, { rows: "42" });
  assertEquals(db.taskRun(run.id, "a", 1)!.exit, { code: 75, signal: null });
  db.updateRun(run.id, {
    status: "failed",
    endedAt: 2000,
    reason: "b failed: exit code 1",
    failures: [{ task: "b", error: "exit code 1", handled: false }],
  });
  const ended = db.run(run.id)!;
  assertEquals([ended.status, ended.endedAt, ended.failures.length], ["failed", 2000, 1]);
  assertEquals(db.lastEnded("f")?.id, run.id);
  assertEquals(db.lastSucceeded("f"), undefined);
  assertEquals(db.integrityCheck(), ["ok"]);
  db.close();
  // Reopened: the schema is there, nothing is migrated twice.
  const again = new SqliteHistory(path);
  assertEquals(again.run(run.id)?.reason, "b failed: exit code 1");
  again.close();
});

Deno.test("an idempotency key already used by the flow returns that run", async () => {
  const db = new SqliteHistory(await tempDb());
  const first = db.createRun(newRun({ idempotencyKey: "evt-1" }));
  const second = db.createRun(newRun({ idempotencyKey: "evt-1", payload: { other: true } }));
  assertEquals([first.created, second.created, second.run.id], [true, false, first.run.id]);
  const otherFlow = db.createRun(newRun({ flow: "g", idempotencyKey: "evt-1" }));
  assert(otherFlow.created, "the same key in another flow is another run");
  assertEquals(db.runs({ flow: "f" }).runs.length, 1);
  db.close();
});

Deno.test("runs come newest first, by flow, status and time, a page at a time", async () => {
  const db = new SqliteHistory(await tempDb());
  for (let i = 0; i < 25; i++) {
    db.createRun(newRun({
      flow: i % 2 ? "odd" : "even",
      status: i % 5 === 0 ? "skipped" : "running",
      queuedAt: 1000 + i,
    }));
  }
  const page1 = db.runs({ flow: "even", limit: 5 });
  assertEquals(page1.runs.map((r) => r.queuedAt), [1024, 1022, 1020, 1018, 1016]);
  const page2 = db.runs({ flow: "even", limit: 5, before: page1.next });
  assertEquals(page2.runs.map((r) => r.queuedAt), [1014, 1012, 1010, 1008, 1006]);
  const last = db.runs({ flow: "even", limit: 5, before: page2.next });
  assertEquals([last.runs.length, last.next], [3, undefined]);
  assertEquals(db.runs({ status: ["skipped"] }).runs.length, 5);
  assertEquals(db.runs({ since: 1020, until: 1023 }).runs.map((r) => r.queuedAt), [
    1022,
    1021,
    1020,
  ]);
  assertEquals(db.activeRuns().length, 20);
  assertEquals(
    db.counts().find((c) => c.flow === "odd" && c.status === "skipped")?.count,
    2,
  );
  db.close();
});

Deno.test("retention prunes ended runs beyond the count and older than the days, with their logs", async () => {
  const db = new SqliteHistory(await tempDb());
  const day = 86_400_000;
  const ids: number[] = [];
  for (let i = 0; i < 10; i++) {
    const { run } = db.createRun(newRun({ queuedAt: i * day }));
    db.putTask({ ...db.taskRun(run.id, "a")!, logPath: `/logs/${run.id}/a.1.ndjson` });
    db.updateRun(run.id, { status: "succeeded", endedAt: i * day + 1 });
    ids.push(run.id);
  }
  const active = db.createRun(newRun({ queuedAt: 0 })).run;
  const removed = db.prune("f", { days: undefined, count: 6 }, 10 * day);
  assertEquals(removed.sort(), ids.slice(0, 4).map((id) => `/logs/${id}/a.1.ndjson`).sort());
  assertEquals(db.runs({ flow: "f", limit: 100 }).runs.length, 7);
  db.prune("f", { days: 3, count: undefined }, 10 * day);
  assertEquals(
    db.runs({ flow: "f", limit: 100 }).runs.map((r) => r.id),
    [ids[9], ids[8], ids[7], active.id].sort((a, b) => b - a),
  );
  assertEquals(db.tasks(ids[0]), []);
  assertEquals(db.run(active.id)?.status, "running");
  db.close();
});

Deno.test("schedule marks and pauses are kept per flow", async () => {
  const path = await tempDb();
  const db = new SqliteHistory(path);
  assertEquals(db.flowMark("f"), { lastTick: undefined, paused: false });
  db.setLastTick("f", 123);
  db.setPaused("f", true);
  db.setLastTick("f", 456);
  assertEquals(db.flowMark("f"), { lastTick: 456, paused: true });
  db.close();
  const ro = new SqliteHistory(path, { readOnly: true });
  assertEquals(ro.flowMark("f").lastTick, 456);
  ro.close();
});

Deno.test("a database from a newer orch is refused, naming both versions", async () => {
  const path = await tempDb();
  new SqliteHistory(path).close();
  const raw = new DatabaseSync(path);
  raw.exec("PRAGMA user_version = 99");
  raw.close();
  let message = "";
  try {
    new SqliteHistory(path);
  } catch (error) {
    message = (error as Error).message;
  }
  assertMatch(message, /schema version 99; this orch reads up to 1/);
});

Deno.test("one scheduler owns a database; a dead owner's claim is taken over", async () => {
  const db = new SqliteHistory(await tempDb());
  const me = { pid: 100, procStart: 1, since: 0 };
  assertEquals(db.claim(me, () => true), undefined);
  const other = { pid: 200, procStart: 2, since: 5 };
  assertEquals(db.claim(other, () => true), me);
  assertEquals(db.claim(other, () => false), undefined);
  db.release(100);
  assertEquals(db.claim(me, () => true), other);
  db.release(200);
  assertEquals(db.claim(me, () => true), undefined);
  db.close();
});

Deno.test("the database and its WAL files are created 0600, and an open one is made so", async () => {
  const path = await tempDb();
  const modeOf = (p: string) => Deno.statSync(p).mode! & 0o777;
  const db = new SqliteHistory(path);
  db.createRun(newRun());
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    assertEquals(modeOf(file).toString(8), "600", file);
  }
  db.close();
  // A database left readable by others (an older orch made it 0644) is closed to them again.
  Deno.chmodSync(path, 0o644);
  new SqliteHistory(path).close();
  assertEquals(modeOf(path).toString(8), "600");
  // Read-only, it is left as it is.
  Deno.chmodSync(path, 0o640);
  new SqliteHistory(path, { readOnly: true }).close();
  assertEquals(modeOf(path).toString(8), "640");
});
