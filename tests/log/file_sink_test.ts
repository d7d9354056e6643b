import { assert, assertEquals } from "../assert.ts";
import { RotatingFile } from "../../src/log/file_sink.ts";
import { tempDir } from "../../src/testing/recorder.ts";
import { mountTmpfs } from "../../src/testing/tmpfs.ts";
import { waitFor } from "../../src/testing/deadline.ts";

Deno.test("on a full disk a rotating file loses whole records, counts them, and resumes", async (t) => {
  await using dir = await tempDir();
  const fs = await mountTmpfs(`${dir.path}/fs`, "64k");
  if (typeof fs === "string") {
    console.error(`tests/log/file_sink_test.ts: SKIPPED: ${fs}`);
    t.step({ name: "needs a tmpfs", ignore: true, fn: () => {} });
    return;
  }
  await using _mounted = fs;
  const path = `${fs.path}/x.ndjson`;
  const events: string[] = [];
  const file = new RotatingFile(path, { maxBytes: 40_000, keep: 1 }, {
    failing: (error) => events.push(`failing: ${error.message}`),
    resumed: (lost) => events.push(`resumed: ${lost}`),
  });
  let seq = 0;
  const batch = () => {
    // 50 records of about 100 bytes, written in one go.
    for (let i = 0; i < 50; i++) {
      file.writeLine(JSON.stringify({ seq: ++seq, pad: "x".repeat(80) }));
    }
    file.flush();
  };
  batch();
  await fs.fill(12 * 1024);
  for (let i = 0; i < 20; i++) batch(); // about 100 KB offered, about 12 KB of room
  assertEquals(events.length, 1, events.join("\n"));
  assert(events[0].startsWith("failing: "), events[0]);
  assertEquals(file.health.failing, true);
  const lostWhileFull = file.health.lostRecords;
  assert(lostWhileFull > 0, "records were lost");
  await fs.free();
  batch();
  assertEquals(events[1], `resumed: ${lostWhileFull}`);
  assertEquals(file.health.failing, false);
  file.close();

  const lines = (await Deno.readTextFile(path)).split("\n");
  assertEquals(lines.pop(), "", "the file ends with a whole line");
  const seqs = lines.map((l) => JSON.parse(l).seq); // every line parses: none is torn
  assertEquals(seqs.length + lostWhileFull, seq, "what is missing is what was counted lost");
  assertEquals(seqs, [...seqs].sort((a, b) => a - b));
  assertEquals(seqs.at(-1), seq, "writing resumed");
  // Only bytes really written count towards rotation: 100 KB were offered, the file holds less
  // than its 40 KB limit, so it never rotated.
  assert(Deno.statSync(path).size < 40_000);
  assertEquals([...Deno.readDirSync(fs.path)].map((e) => e.name).sort(), ["x.ndjson"]);
});

Deno.test("a flood keeps its write buffer between flushes; a quiet moment lets it go", async () => {
  await using dir = await tempDir();
  const file = new RotatingFile(`${dir.path}/x.ndjson`, { maxBytes: 1 << 30, keep: 1 });
  const record = new TextEncoder().encode(`${"x".repeat(99)}\n`);
  const chunk = new Uint8Array(record.length * 6000); // one read's worth of records: 600 KB
  for (let i = 0; i < 6000; i++) chunk.set(record, i * record.length);
  // The file flushes on a turn of the event loop after records come, as it does for the hub; a
  // timer set after theirs runs after them.
  const turn = () => new Promise((resolve) => setTimeout(resolve, 0));
  file.writeBytes(chunk, 6000);
  await turn();
  const grown = file.pending.bytes;
  assert(grown.length >= chunk.length, `the buffer grew to a flood's size (${grown.length})`);
  for (let round = 0; round < 3; round++) {
    file.writeBytes(chunk, 6000);
    await turn();
    assert(file.pending.bytes === grown, `flush ${round + 2} of the flood kept the same buffer`);
  }
  // A flush of a few records after the flood: the buffers are small again.
  file.writeBytes(record, 1);
  await turn();
  assert(file.pending.bytes.length <= 1 << 16, `small again: ${file.pending.bytes.length}`);
  // And when nothing comes after a flood, they go a moment later.
  file.writeBytes(chunk, 6000);
  await turn();
  assert(file.pending.bytes.length >= chunk.length, "grown again by the second flood");
  await waitFor(
    () => file.pending.bytes.length <= 1 << 16,
    () => `the buffer to shrink after the flood (still ${file.pending.bytes.length} bytes)`,
    5000,
  );
  file.close();
  const text = await Deno.readTextFile(`${dir.path}/x.ndjson`);
  assertEquals(text.length, record.length * (6000 * 5 + 1), "every record written, whole");
});
