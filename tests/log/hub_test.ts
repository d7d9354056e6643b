import { assert, assertEquals } from "../assert.ts";
import { LogHub } from "../../src/log/hub.ts";
import type { LogRecord } from "../../src/domain/log.ts";
import { RotatingFile } from "../../src/log/file_sink.ts";
import { readLines } from "../../src/log/lines.ts";
import { detectLevel } from "../../src/log/level.ts";
import { tempDir } from "../../src/testing/recorder.ts";

Deno.test("a slow subscriber skips ahead with a dropped-lines record; the file keeps everything", async () => {
  await using dir = await tempDir();
  const dropped: [string, number][] = [];
  const hub = new LogHub({
    ndjsonPath: `${dir.path}/orch.ndjson`,
    onDropped: (consumer, count) => dropped.push([consumer, count]),
  });
  const sub = hub.subscribe("slow", { capacity: 5 });
  for (let i = 0; i < 20; i++) hub.line("api", 0, "stdout", `line ${i}`);
  const seen: string[] = [];
  for await (const record of sub) {
    seen.push(record.msg);
    if (record.msg === "line 19") break;
  }
  assertEquals(seen, ["dropped 15 lines", "line 15", "line 16", "line 17", "line 18", "line 19"]);
  assertEquals(dropped, [["slow", 15]]);
  hub.close();
  const persisted = (await Deno.readTextFile(`${dir.path}/orch.ndjson`)).trim().split("\n")
    .map((l) => JSON.parse(l));
  assertEquals(persisted.map((r) => r.seq), Array.from({ length: 20 }, (_, i) => i + 1));
  assertEquals(persisted[3].msg, "line 3");
});

Deno.test("a subscriber's filter and the ring's tail select by service, level and time", () => {
  let now = 1000;
  const hub = new LogHub({ ringSize: 3, now: () => now++ });
  hub.line("db", 0, "stdout", "INFO ready");
  hub.line("api", 0, "stderr", "ERROR boom");
  for (let i = 0; i < 5; i++) hub.line("api", 0, "stdout", `req ${i}`);
  assertEquals(hub.recent({ services: ["api"] }).map((r) => r.msg), ["req 2", "req 3", "req 4"]);
  assertEquals(hub.recent(undefined, 2).map((r) => r.msg), ["req 3", "req 4"]);
  assertEquals(hub.recent({ minLevel: "warn" }).map((r) => r.msg), []);
  assertEquals(hub.recent({ services: ["db"] })[0].level, "info");
  assertEquals(hub.recent({ since: 1005 }).map((r) => r.msg), ["req 3", "req 4"]);
  hub.close();
});

Deno.test("a rotating file rolls over by size and keeps the newest generations", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/x.log`;
  const file = new RotatingFile(path, { maxBytes: 1000, keep: 2 });
  const line = "x".repeat(99); // 100 bytes with the newline
  for (let i = 0; i < 45; i++) {
    file.writeLine(`${String(i).padStart(2, "0")}${line.slice(2)}`);
    file.flush();
  }
  file.close();
  const names = [...Deno.readDirSync(dir.path)].map((e) => e.name).sort();
  assertEquals(names, ["x.log", "x.log.1", "x.log.2"]);
  const firstOf = (name: string) => Deno.readTextFileSync(`${dir.path}/${name}`).slice(0, 2);
  assertEquals([firstOf("x.log.2"), firstOf("x.log.1"), firstOf("x.log")], ["20", "30", "40"]);
  for (const name of names) assert(Deno.statSync(`${dir.path}/${name}`).size <= 1000, name);
});

Deno.test("very long lines are split, and a line without a newline still arrives", async () => {
  const long = "a".repeat(40_000);
  const text = `short\n${long}\nmiddle\r\ntail`;
  const bytes = new TextEncoder().encode(text);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 777) controller.enqueue(bytes.slice(i, i + 777));
      controller.close();
    },
  });
  const lines: string[] = [];
  await readLines(stream, (l) => lines.push(l), { maxLine: 16_384 });
  assertEquals(lines.map((l) => l.length), [5, 16_384, 16_384, 7_232, 6, 4]);
  assertEquals([lines[0], lines[4], lines[5]], ["short", "middle", "tail"]);
});

Deno.test("a child writing one huge line without a newline never hangs the reader", async () => {
  const child = new Deno.Command("sh", {
    args: ["-c", "head -c 3000000 /dev/zero | tr '\\0' b"],
    stdout: "piped",
  }).spawn();
  let total = 0;
  let count = 0;
  await readLines(child.stdout, (l) => {
    total += l.length;
    count++;
  });
  await child.status;
  assertEquals(total, 3_000_000);
  assertEquals(count, Math.ceil(3_000_000 / 16_384));
});

Deno.test("levels come from JSON fields, logfmt and common prefixes", () => {
  const cases: [string, string][] = [
    ['{"level":"warn","msg":"x"}', "warn"],
    ['{"severity":"ERROR"}', "error"],
    ["time=1 level=debug msg=x", "debug"],
    ["ERROR: disk full", "error"],
    ["[warn] slow", "warn"],
    ["2026-11-21T10:00:00Z INFO started", "info"],
    ["plain text", "info"],
    ["errors: none so far", "info"],
  ];
  for (const [line, level] of cases) assertEquals(detectLevel(line), level, line);
});

Deno.test("older records than the ring holds come from the persisted log, rotations included", async () => {
  await using dir = await tempDir();
  let now = 1_000;
  const hub = new LogHub({
    ringSize: 3,
    ndjsonPath: `${dir.path}/orch.ndjson`,
    rotation: { maxBytes: 600, keep: 3 },
    now: () => now++,
  });
  for (let i = 0; i < 12; i++) {
    hub.line(i % 2 ? "b" : "a", 0, "stdout", `line ${i}`);
    hub.flush();
  }
  assert(Deno.statSync(`${dir.path}/orch.ndjson.1`).isFile, "the file rotated");
  assertEquals((await all(hub.query({ services: ["a"] }, 2))).map((r) => r.msg), [
    "line 8",
    "line 10",
  ]);
  assertEquals(
    (await all(hub.query({ services: ["a"] }, 5))).map((r) => r.msg),
    ["line 2", "line 4", "line 6", "line 8", "line 10"],
  );
  assertEquals((await all(hub.query({ since: 1_009 }))).map((r) => r.msg), [
    "line 9",
    "line 10",
    "line 11",
  ]);
  assertEquals((await all(hub.query({ since: 1_004, services: ["b"] }))).map((r) => r.msg), [
    "line 5",
    "line 7",
    "line 9",
    "line 11",
  ]);
  hub.close();
});

async function all(batches: AsyncIterable<readonly LogRecord[]>): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const batch of batches) out.push(...batch);
  return out;
}

Deno.test("pump records a child's stream line by line as its own, and stops when aborted", async () => {
  const hub = new LogHub();
  const seen: string[] = [];
  const child = new Deno.Command("sh", {
    args: ["-c", "printf 'one\\ntwo\\r\\nthree'"],
    stdout: "piped",
  }).spawn();
  await hub.pump("api", 1, child.stdout, "stdout", { onLine: (line) => seen.push(line) });
  await child.status;
  assertEquals(seen, ["one", "two", "three"]);
  assertEquals(
    hub.recent({ services: ["api"] }).map((r) => [r.replica, r.stream, r.msg]),
    [[1, "stdout", "one"], [1, "stdout", "two"], [1, "stdout", "three"]],
  );
  // A stream that never ends (a grandchild holds the pipe) ends at the signal.
  const abort = new AbortController();
  const endless = new ReadableStream<Uint8Array>({
    start: (c) => c.enqueue(new TextEncoder().encode("first\n")),
  });
  const pumping = hub.pump("api", 0, endless, "stderr", { signal: abort.signal });
  abort.abort();
  await pumping;
  assertEquals(hub.recent({ services: ["api"] }).at(-1)?.msg, "first");
});
