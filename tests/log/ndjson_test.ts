import { assertEquals } from "../assert.ts";
import { sanitize } from "../../src/domain/escapes.ts";
import { LEVELS, toNdjson } from "../../src/domain/log.ts";
import { LineBatch, type Source } from "../../src/log/batch.ts";
import { ByteBuffer } from "../../src/log/bytes.ts";
import { detectLevel } from "../../src/log/level.ts";
import { encodeBatch } from "../../src/log/ndjson.ts";
import { LineSplitter } from "../../src/log/split.ts";
import { appendText } from "../../src/log/text.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function batchOf(text: string | Uint8Array, source: Source, firstSeq = 1, ts = 1_764_590_400_123) {
  const splitter = new LineSplitter();
  const lines = splitter.push(typeof text === "string" ? encoder.encode(text) : text) ??
    splitter.end()!;
  return new LineBatch(source, ts, firstSeq, lines);
}

const api: Source = { service: "api", replica: 0, stream: "stdout" };

Deno.test("a batch's NDJSON is byte for byte what toNdjson makes of each of its records", () => {
  const text = [
    "plain",
    'quotes "and" \\backslashes\\',
    "tab\there, NUL \0, bell \x07, ESC \x1b[31mred\x1b[0m, DEL \x7f",
    "unicode: é 日本 🎉 \u2028 \u2029",
    "",
    "ERROR something broke",
    "[warn] careful",
    '{"level":"debug","msg":"json"}',
    "ts=1 level=fatal msg=x",
    "2024-05-01T10:00:00Z INFO started",
    "a".repeat(100),
  ].join("\n") + "\n";
  for (
    const source of [api, {
      service: "etl",
      replica: 2,
      stream: "stderr",
      run: 7,
      task: "load",
    }] as Source[]
  ) {
    // 9,999 -> 10,000: the sequence number grows a digit inside the batch.
    const batch = batchOf(text, source, 9_995);
    const out = new ByteBuffer(16);
    encodeBatch(batch, out);
    const expected = Array.from({ length: batch.count }, (_, i) => toNdjson(batch.record(i)))
      .join("\n") + "\n";
    assertEquals(decoder.decode(out.view()), expected);
    for (const line of decoder.decode(out.view()).trim().split("\n")) JSON.parse(line);
  }
});

Deno.test("records of a batch carry the line's level as detectLevel finds it in the text", () => {
  const lines = [
    "w1 123456",
    "123456",
    "WARN disk low",
    "warning: x",
    "Warnings: 3",
    "[error] y",
    "(info) z",
    "<debug> q",
    "  info: indented",
    "\u00a0warn after a no-break space",
    "information only",
    "errors: none",
    "err: short",
    "ERR:colon",
    "fatal",
    "2024-01-01T00:00:00Z ERROR dated",
    "2024-01-01 00:00:00.123 warn dated too",
    "1999-x not a date",
    "level=warn key=value",
    "key=value only",
    'severity="error"',
    '{"level":"warn"}',
    '{"lvl":30}',
    '{"severity":"CRITICAL"}',
    ' {"level":"error"} not JSON first',
    '{"msg":"no level"}',
    "{not json",
    "trace",
    "PANIC!",
    "panic: runtime error",
  ];
  const batch = batchOf(lines.join("\n") + "\n", api);
  assertEquals(
    Array.from({ length: batch.count }, (_, i) => batch.record(i).level),
    lines.map((l) => detectLevel(l)),
  );
  assertEquals(LEVELS[batch.levelAt(2)], "warn");
});

Deno.test("NUL bytes and invalid UTF-8 come out as JSON.stringify writes the decoded text", () => {
  const bytes = new Uint8Array([0x61, 0, 0x62, 0x0a, 0x63, 0xff, 0xc3, 0x0a, 0xe2, 0x82, 0x0a]);
  const batch = batchOf(bytes, api);
  assertEquals(
    Array.from({ length: batch.count }, (_, i) => batch.msg(i)),
    ["a\0b", "c\ufffd\ufffd", "\ufffd"],
  );
  const out = new ByteBuffer();
  encodeBatch(batch, out);
  assertEquals(
    decoder.decode(out.view()).trim().split("\n").map((l) => JSON.parse(l).msg),
    ["a\0b", "c\ufffd\ufffd", "\ufffd"],
  );
  assertEquals(decoder.decode(out.view()).split("\n")[0].includes('"msg":"a\\u0000b"'), true);
});

Deno.test("part of a batch, and only the records at a level or above", () => {
  const batch = batchOf("a\nERROR b\nc\nWARN d\ne\n", api, 1);
  const out = new ByteBuffer();
  encodeBatch(batch, out, 1, 4, 3); // warn and above, of records 1..3
  assertEquals(decoder.decode(out.view()).trim().split("\n").map((l) => JSON.parse(l).msg), [
    "ERROR b",
    "WARN d",
  ]);
  out.clear();
  encodeBatch(batch, out, 2, 5);
  assertEquals(decoder.decode(out.view()).trim().split("\n").map((l) => JSON.parse(l).seq), [
    3,
    4,
    5,
  ]);
});

Deno.test("plain text of a batch: prefix and line, cleaned for a terminal only where needed", () => {
  const batch = batchOf("plain\nred \x1b[31mx\x1b[0m\ntitle \x1b]0;pwned\x07!\né\n", api);
  const out = new ByteBuffer(8);
  const clean = (t: string) => `<${sanitize(t)}>`;
  appendText(batch, out, { prefix: encoder.encode("api | "), clean });
  assertEquals(
    decoder.decode(out.view()),
    "api | plain\napi | <red x>\napi | <title !>\napi | <é>\n",
  );
  out.clear();
  appendText(batch, out, { from: 1, to: 2 });
  assertEquals(decoder.decode(out.view()), "red \x1b[31mx\x1b[0m\n");
});

Deno.test("a line cut into pieces is escaped in every piece: each record parses, the pieces make the line", () => {
  const line = `${"x".repeat(20_000)}"quoted" \\ \x1b[31m\t${"y".repeat(17_000)}\x07"`;
  for (const text of [`${line}\n`, `${line}\r\n`]) {
    const batch = batchOf(text, api);
    const out = new ByteBuffer(16);
    encodeBatch(batch, out);
    const records = decoder.decode(out.view()).trim().split("\n").map((r) => JSON.parse(r));
    assertEquals(records.length, 3);
    assertEquals(records.map((r) => r.msg).join(""), line);
  }
});
