import { assertEquals } from "../assert.ts";
import { toNdjson } from "../../src/domain/log.ts";
import type { LogRecord } from "../../src/domain/log.ts";
import { persistedFiles } from "../../src/log/generations.ts";
import { readPersisted } from "../../src/log/persisted.ts";
import { tempDir } from "../../src/testing/recorder.ts";

const rec = (seq: number, service = "a"): LogRecord => ({
  ts: 1_700_000_000_000 + seq,
  seq,
  service,
  replica: 0,
  stream: "stdout",
  level: "info",
  msg: `line ${seq}`,
});

async function read(files: string[], query = {}, tail?: number) {
  const seqs: number[] = [];
  for await (const batch of readPersisted(files, query, tail)) {
    seqs.push(...batch.map((r) => r.seq));
  }
  return seqs;
}

Deno.test("a stopped stack's log generations are found on disk and read oldest first", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/orch.ndjson`;
  const lines = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => toNdjson(rec(from + i, i % 2 ? "b" : "a")))
      .join("\n") + "\n";
  // Seven generations: more than a running orch keeps by default (4).
  for (let g = 7; g >= 1; g--) {
    await Deno.writeTextFile(`${path}.${g}`, lines((7 - g) * 3 + 1, (7 - g) * 3 + 3));
  }
  await Deno.writeTextFile(`${path}.1`, '{"ts":"2023-11-14T22:1', { append: true });
  await Deno.writeTextFile(path, lines(22, 24));
  await Deno.writeTextFile(`${path}.x`, "not a generation\n");
  await Deno.writeTextFile(`${path}.01`, "not a generation either\n");
  const files = await persistedFiles(path);
  assertEquals(files, [7, 6, 5, 4, 3, 2, 1].map((g) => `${path}.${g}`).concat(path));
  assertEquals(await read(files), Array.from({ length: 24 }, (_, i) => i + 1));
  assertEquals(await read(files, { services: ["b"] }, 2), [20, 23]);
  assertEquals(await persistedFiles(`${dir.path}/none/orch.ndjson`), []);
  await Deno.remove(path);
  assertEquals((await persistedFiles(path)).at(-1), `${path}.1`, "only rotated generations");
});

Deno.test("stored lines are matched as bytes across chunk edges; long, foreign and torn lines are handled", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/orch.ndjson`;
  // About 2.4 MB of records: several of the reader's 512 KiB chunks, so lines fall across edges.
  const n = 12_000;
  const records = Array.from({ length: n }, (_, i) => ({
    ...rec(i + 1, ["a", "b", 'c"q'][i % 3]),
    level: (i % 7 === 0 ? "error" : "info") as LogRecord["level"],
    msg: `line ${i + 1} ${"é".repeat(i % 50)}`,
  }));
  let text = records.map(toNdjson).join("\n") + "\n";
  // A line far over the 1 MiB bound, a line another writer wrote (spaces, other key order), and
  // a torn last line without its end: the long one is skipped, the foreign one parsed, the torn
  // one ignored.
  text += `{"ts":"2023-11-14T22:13:20.000Z","msg":"${"x".repeat(3 << 20)}"}\n`;
  text += `{"seq": 90001, "service": "b", "level": "warn", "msg": "foreign", "replica": 0,` +
    ` "stream": "stdout", "ts": "${new Date(1_700_000_090_001).toISOString()}"}\n`;
  text += '{"ts":"2023-11-14T22:1';
  await Deno.writeTextFile(path, text);
  const all = await read([path]);
  assertEquals(all, [...records.map((r) => r.seq), 90001]);
  const b = records.filter((r) => r.service === "b").map((r) => r.seq);
  assertEquals(await read([path], { services: ["b"] }), [...b, 90001]);
  assertEquals(
    await read([path], { services: ['c"q'] }),
    records.filter((r) => r.service === 'c"q').map((r) => r.seq),
  );
  assertEquals(
    await read([path], { minLevel: "warn" }),
    [...records.filter((r) => r.level === "error").map((r) => r.seq), 90001],
  );
  assertEquals(await read([path], { since: 1_700_000_000_000 + n - 10 }), [
    ...Array.from({ length: 11 }, (_, i) => n - 10 + i),
    90001,
  ]);
  assertEquals(await read([path], { services: ["a"] }, 3), [n - 8, n - 5, n - 2]);
  let msgs = "";
  for await (const batch of readPersisted([path], { services: ["a"] }, 1)) {
    msgs += batch.map((r) => r.msg).join();
  }
  assertEquals(
    msgs,
    `line ${n - 2} ${"é".repeat((n - 3) % 50)}`,
    "multi-byte text survives the chunk edges",
  );
});
