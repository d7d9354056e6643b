import { assert, assertEquals } from "../assert.ts";
import { toNdjson } from "../../src/domain/log.ts";
import { RotatingFile } from "../../src/log/file_sink.ts";
import { recordsOf } from "../../src/log/follow.ts";
import { LogHub } from "../../src/log/hub.ts";
import { tempDir } from "../../src/testing/recorder.ts";

const encoder = new TextEncoder();

/** A byte stream of the given chunks. */
function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    type: "bytes",
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

const lines = (from: number, to: number, prefix = "line") =>
  Array.from({ length: to - from }, (_, i) => `${prefix} ${from + i}\n`).join("");

Deno.test("a subscriber behind by more than its capacity skips ahead within a batch", async () => {
  const dropped: number[] = [];
  const hub = new LogHub({ onDropped: (_, n) => dropped.push(n) });
  const sub = hub.subscribe("slow", { capacity: 5 });
  await hub.pump("api", 0, streamOf(lines(0, 20)), "stdout");
  const seen: string[] = [];
  for await (const record of sub) {
    seen.push(record.msg);
    if (record.msg === "line 19") break;
  }
  assertEquals(seen, ["dropped 15 lines", "line 15", "line 16", "line 17", "line 18", "line 19"]);
  assertEquals(dropped, [15]);
  // The notice sits just before the first record kept.
  hub.close();
});

Deno.test("a level filter counts only the records it lets through, for capacity and notices", async () => {
  const hub = new LogHub();
  const sub = hub.subscribe("errors", { capacity: 2, filter: { minLevel: "error" } });
  await hub.pump(
    "api",
    0,
    streamOf("ERROR a\ninfo\nERROR b\n", "x\nERROR c\nERROR d\ny\n"),
    "stdout",
  );
  const got = [];
  for await (const batch of sub.batches()) {
    got.push(...batch.map((r) => r.msg));
    if (got.includes("ERROR d")) break;
  }
  assertEquals(got, ["dropped 2 lines", "ERROR c", "ERROR d"]);
  hub.close();
});

Deno.test("slices hold the same records as the iterator gives, a notice first", async () => {
  // One time for all: each subscriber's notice is made when it is read, in its own millisecond.
  const hub = new LogHub({ now: () => 1000 });
  const a = hub.subscribe("a", { capacity: 3 });
  const b = hub.subscribe("b", { capacity: 3 });
  await hub.pump("api", 0, streamOf(lines(0, 4), lines(4, 6)), "stderr");
  const fromSlices = recordsOf((await a.slices().next()).value!);
  const fromIterator = [];
  for await (const record of b) {
    fromIterator.push(record);
    if (fromIterator.length === 4) break;
  }
  assertEquals(fromSlices, fromIterator);
  assertEquals(fromSlices.map((r) => r.msg), ["dropped 3 lines", "line 3", "line 4", "line 5"]);
  assertEquals(fromSlices.map((r) => r.seq), [3, 4, 5, 6]);
  hub.close();
});

Deno.test("the rings keep the last records of each service, however they were batched", async () => {
  let now = 1000;
  const hub = new LogHub({ ringSize: 4, now: () => now++ });
  await hub.pump("api", 0, streamOf(lines(0, 3, "api"), lines(3, 7, "api")), "stdout");
  await hub.pump("db", 0, streamOf("WARN db 0\ndb 1\n"), "stdout");
  assertEquals(hub.recent({ services: ["api"] }).map((r) => r.msg), [
    "api 3",
    "api 4",
    "api 5",
    "api 6",
  ]);
  assertEquals(hub.recent(undefined, 3).map((r) => r.msg), ["api 6", "WARN db 0", "db 1"]);
  assertEquals(hub.recent({ minLevel: "warn" }).map((r) => r.msg), ["WARN db 0"]);
  // One time for the lines of one read: the stream of db was read after all of api's.
  const dbTime = hub.recent({ services: ["db"] })[0].ts;
  assert(dbTime > hub.recent({ services: ["api"] })[3].ts);
  assertEquals(hub.recent({ since: dbTime }).map((r) => r.service), ["db", "db"]);
  hub.close();
});

Deno.test("a flow task's lines carry run and task, the same NDJSON in the hub's log and the attempt's", async () => {
  await using dir = await tempDir();
  const hub = new LogHub({ ndjsonPath: `${dir.path}/orch.ndjson` });
  const attempt = new RotatingFile(`${dir.path}/attempt.ndjson`, { maxBytes: 1 << 20, keep: 1 });
  await hub.pumpFrom(
    { service: "etl", replica: 1, stream: "stdout", run: 42, task: "load" },
    streamOf('rows "1"\n', "rows 2\npartial"),
    { alsoTo: attempt },
  );
  hub.close();
  attempt.close();
  const mine = Deno.readTextFileSync(`${dir.path}/attempt.ndjson`);
  assertEquals(Deno.readTextFileSync(`${dir.path}/orch.ndjson`), mine);
  const records = mine.trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(records.map((r) => [r.msg, r.run, r.task, r.replica]), [
    ['rows "1"', 42, "load", 1],
    ["rows 2", 42, "load", 1],
    ["partial", 42, "load", 1],
  ]);
});

Deno.test("a service's logFile gets its lines as text; the persisted log the same lines as records", async () => {
  await using dir = await tempDir();
  const hub = new LogHub({ ndjsonPath: `${dir.path}/orch.ndjson` });
  hub.addPlainFile("api", `${dir.path}/api.log`);
  const child = new Deno.Command("sh", {
    args: ["-c", "printf 'a\\r\\n\\tb \"q\"\\nbad \\377\\n'; seq 1 3000; printf 'end'"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await Promise.all([
    hub.pump("api", 0, child.stdout, "stdout"),
    hub.pump("api", 0, child.stderr, "stderr"),
    child.status,
  ]);
  hub.note("api", 0, "a note");
  hub.close();
  const expected = [
    "a",
    '\tb "q"',
    "bad \ufffd",
    ...Array.from({ length: 3000 }, (_, i) => `${i + 1}`),
    "end",
    "a note",
  ];
  assertEquals(Deno.readTextFileSync(`${dir.path}/api.log`), expected.join("\n") + "\n");
  const persisted = Deno.readTextFileSync(`${dir.path}/orch.ndjson`).trim().split("\n");
  assertEquals(persisted.map((l) => JSON.parse(l).msg), expected);
  assertEquals(persisted.map((l) => JSON.parse(l).seq), expected.map((_, i) => i + 1));
  // Byte for byte what toNdjson writes of the records the ring keeps.
  const kept = hub.recent(undefined, 10).map(toNdjson);
  assertEquals(persisted.slice(-10), kept);
  assert(persisted.every((l) => l.startsWith('{"ts":"')));
});
