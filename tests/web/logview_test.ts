import { assert, assertEquals } from "../assert.ts";
import {
  compilePattern,
  downloadName,
  downloadText,
  LineSplitter,
  logsPath,
  markMatches,
  parseRecord,
  passes,
  RecordBuffer,
  sourceOf,
  type WireRecord,
} from "../../src/web/logview.ts";

const record = (msg: string, extra: Partial<WireRecord> = {}): WireRecord => ({
  ts: "2025-01-02T03:04:05.678Z",
  seq: 1,
  service: "api",
  replica: 0,
  stream: "stdout",
  level: "info",
  msg,
  ...extra,
});

Deno.test("parseRecord reads the API's NDJSON and refuses what is not a record", () => {
  const line = '{"ts":"2025-01-02T03:04:05.678Z","seq":7,"service":"db","replica":2,' +
    '"stream":"stderr","level":"warn","msg":"slow"}';
  assertEquals(parseRecord(line), {
    ts: "2025-01-02T03:04:05.678Z",
    seq: 7,
    service: "db",
    replica: 2,
    stream: "stderr",
    level: "warn",
    msg: "slow",
  });
  assertEquals(parseRecord('{"ts":"x","service":"db"'), undefined, "torn");
  assertEquals(parseRecord('{"service":"db"}'), undefined, "no message");
  assertEquals(parseRecord("   "), undefined);
  assertEquals(parseRecord('{"service":"a","msg":"m","level":"loud"}')?.level, "info");
  const task = parseRecord('{"ts":"t","service":"etl","msg":"m","run":4,"task":"load"}')!;
  assertEquals(sourceOf(task), "etl/4/load");
  assertEquals(sourceOf(record("m", { replica: 2 })), "api.2");
});

Deno.test("logsPath asks for one service, a level, a tail and following", () => {
  assertEquals(logsPath({}), "/v1/logs");
  assertEquals(
    logsPath({ service: "a b", minLevel: "warn", tail: 500, follow: true }),
    "/v1/logs?service=a+b&level=warn&tail=500&follow=true",
  );
});

Deno.test("filters: the level at least, and a pattern over the text as shown", () => {
  const { regex } = compilePattern("time(out)?");
  assert(regex);
  assert(passes(record("connect TIMEOUT"), { regex }), "lower case: any case");
  assert(!passes(record("connect ok"), { regex }));
  assert(passes(record("a"), { regex: undefined }));
  assert(!passes(record("Timeout", { level: "debug" }), { regex, minLevel: "info" }));
  assert(passes(record("Timeout", { level: "error" }), { regex, minLevel: "warn" }));
  const strict = compilePattern("Timeout").regex!;
  assert(!passes(record("timeout"), { regex: strict }), "a capital makes it case-sensitive");
  // Escapes are matched as removed: the colour codes are not part of the text.
  assert(passes(record("\x1b[31mred\x1b[0m alert"), { regex: compilePattern("red alert").regex }));
  assertEquals(compilePattern("(").regex, undefined);
  assert(compilePattern("(").error);
  assertEquals(compilePattern(""), {});
});

Deno.test("markMatches splits a line around what a search finds", () => {
  assertEquals(markMatches("a-b-a", compilePattern("a").regex), [
    { text: "a", hit: true },
    { text: "-b-", hit: false },
    { text: "a", hit: true },
  ]);
  assertEquals(markMatches("xyz", compilePattern("q").regex), [{ text: "xyz", hit: false }]);
  assertEquals(markMatches("xyz", compilePattern("q*").regex), [{ text: "xyz", hit: false }]);
  assertEquals(markMatches("<b>", undefined), [{ text: "<b>", hit: false }]);
});

Deno.test("a download holds the lines shown, as text, under a safe file name", () => {
  const text = downloadText([record("one"), record("two\x1b]0;title\x07", { level: "error" })]);
  assertEquals(
    text,
    "2025-01-02T03:04:05.678Z api stdout info one\n2025-01-02T03:04:05.678Z api stdout error two\n",
  );
  assertEquals(
    downloadName("../etc/x y", new Date(2025, 0, 2, 3, 4, 5)),
    "orch-logs-.._etc_x_y-20250102-030405.log",
  );
  assertEquals(
    downloadName(undefined, new Date(2025, 0, 2, 3, 4, 5)),
    "orch-logs-all-20250102-030405.log",
  );
});

Deno.test("the buffer keeps the last records; the splitter keeps a torn line for later", () => {
  const buffer = new RecordBuffer(3);
  assertEquals(buffer.push([record("1"), record("2")]), 0);
  assertEquals(buffer.push([record("3"), record("4"), record("5")]), 2);
  assertEquals(buffer.records.map((r) => r.msg), ["3", "4", "5"]);
  const split = new LineSplitter();
  assertEquals(split.feed('{"a":1}\n{"b"'), ['{"a":1}']);
  assertEquals(split.feed(":2}\n"), ['{"b":2}']);
  assertEquals(split.feed("tail"), []);
  assertEquals(split.end(), ["tail"]);
});
