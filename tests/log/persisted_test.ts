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
