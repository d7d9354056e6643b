import { assert, assertEquals } from "../assert.ts";
import { toNdjson } from "../../src/domain/log.ts";
import type { LogRecord } from "../../src/domain/log.ts";
import { lastRecords, persistedFiles, readRecords } from "../../src/log/persisted.ts";
import { tempDir } from "../../src/testing/recorder.ts";

const rec = (seq: number, service = "a", msg = `line ${seq}`): LogRecord => ({
  ts: 1_700_000_000_000 + seq,
  seq,
  service,
  replica: 0,
  stream: "stdout",
  level: "info",
  msg,
});

Deno.test("persisted logs are read oldest generation first, torn lines skipped, filtered", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/orch.ndjson`;
  const lines = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => toNdjson(rec(from + i, i % 2 ? "b" : "a")))
      .join("\n") + "\n";
  await Deno.writeTextFile(`${path}.2`, lines(1, 3));
  await Deno.writeTextFile(`${path}.1`, lines(4, 6) + '{"ts":"2023-11-14T22:1');
  await Deno.writeTextFile(path, lines(7, 9));
  await Deno.writeTextFile(`${path}.x`, "not a generation\n");
  assertEquals(await persistedFiles(path), [`${path}.2`, `${path}.1`, path]);
  const all = await Array.fromAsync(readRecords(await persistedFiles(path)));
  assertEquals(all.map((r) => r.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const b = await Array.fromAsync(readRecords(await persistedFiles(path), { services: ["b"] }));
  assertEquals(b.map((r) => r.seq), [2, 5, 8]);
  const since = readRecords(await persistedFiles(path), { since: rec(6).ts });
  assertEquals((await lastRecords(since, 2)).map((r) => r.seq), [8, 9]);
  assertEquals(await persistedFiles(`${dir.path}/none/orch.ndjson`), []);
});

Deno.test("persisted logs stream: a record is read before the file has been written to its end", async () => {
  await using dir = await tempDir();
  const fifo = `${dir.path}/orch.ndjson`;
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert(made.success, "mkfifo");
  const records = readRecords([fifo]);
  const first = records.next();
  const writer = await Deno.open(fifo, { write: true });
  await writer.write(new TextEncoder().encode(toNdjson(rec(1)) + "\n"));
  // The writer has not closed: a reader of whole files would still be waiting.
  assertEquals((await first).value?.seq, 1);
  await writer.write(new TextEncoder().encode(toNdjson(rec(2)) + "\n"));
  writer.close();
  assertEquals((await records.next()).value?.seq, 2);
  assertEquals((await records.next()).done, true);
});

Deno.test("lastRecords keeps the last n in order", async () => {
  async function* many(n: number) {
    for (let i = 1; i <= n; i++) yield rec(i);
  }
  assertEquals((await lastRecords(many(10), 3)).map((r) => r.seq), [8, 9, 10]);
  assertEquals((await lastRecords(many(2), 3)).map((r) => r.seq), [1, 2]);
  assertEquals(await lastRecords(many(5), 0), []);
});
