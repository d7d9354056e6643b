/**
 * The log path's WebAssembly module: it is what `deno task wasm` builds, its records are toNdjson's,
 * its lines and flags are the JavaScript's.
 */
import { assert, assertEquals } from "../assert.ts";
import { buildWasm, OUTPUT } from "../../tools/build_wasm.ts";
import { LEVELS, toNdjson } from "../../src/domain/log.ts";
import { LineBatch, type Source } from "../../src/log/batch.ts";
import { ByteBuffer } from "../../src/log/bytes.ts";
import { encodeBatch } from "../../src/log/ndjson.ts";
import { PIECE } from "../../src/log/ndjson_wasm.ts";
import { logWasm } from "../../src/log/wasm.ts";
import { detectLevel, LEVEL_WORDS, mayShowLevel } from "../../src/log/level.ts";
import {
  CLASS,
  EQUALS,
  flagsOf,
  type Lines,
  LineSplitter,
  MAY_LEVEL,
  NON_ASCII,
  validUtf8,
} from "../../src/log/split.ts";
import { seeded } from "../../src/testing/random.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

Deno.test("src/log/wasm.gen.ts is up to date with src/log/log.wat (else run deno task wasm)", async () => {
  assert(
    await buildWasm() === await Deno.readTextFile(OUTPUT),
    "src/log/wasm.gen.ts is stale: src/log/log.wat changed since it was built; run `deno task wasm`",
  );
});

Deno.test("a batch of more lines than a call takes, with levels, escapes and sequence numbers growing a digit, is toNdjson's", () => {
  const kinds = ["plain {i}", "ERROR broke {i}", 'say "{i}"\tnow', "", "WARN é {i} \x1b[1m"];
  const count = 2 * PIECE + 123;
  const text = Array.from({ length: count }, (_, i) => kinds[i % 5].replace("{i}", String(i)))
    .join("\n") + "\n";
  const lines = new LineSplitter().push(encoder.encode(text))!;
  for (
    const source of [
      { service: "api", replica: 0, stream: "stdout" },
      { service: "etl", replica: 3, stream: "stderr", run: 12, task: "load" },
    ] as Source[]
  ) {
    // 995: the numbers pass 999 and 9,999, one of them across the end of a call.
    const batch = new LineBatch(source, 1_764_590_400_123, 995, lines);
    assertEquals(batch.count, count);
    const expected = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => `${toNdjson(batch.record(from + i))}\n`).join("");
    const out = new ByteBuffer(16);
    encodeBatch(batch, out);
    assertEquals(decoder.decode(out.view()), expected(0, count));
    // A part of it, starting inside the first call's records.
    const part = new ByteBuffer(16);
    encodeBatch(batch, part, 1000, PIECE + 2000);
    assertEquals(decoder.decode(part.view()), expected(1000, PIECE + 2000));
  }
});

/** Pieces random lines are made of: level words and their look-alikes, escapes, spaces, dates. */
const FRAGMENTS = [
  "",
  " ",
  "\t",
  "\v",
  "\r",
  "x",
  "ab",
  "ERROR",
  "warn",
  "Warning",
  "warnings",
  "[info]",
  "(debug)",
  "<crit>",
  "CRITICAL",
  "criticals",
  "notice:",
  "dbg",
  "{",
  '{"level":"fatal"}',
  "2024-05-01T10:00:00Z",
  "1234-",
  "123",
  "level=",
  "=",
  '"',
  "\\",
  "\x1b[31m",
  "\x7f",
  "\0",
  "é",
  "日本",
  "\u00a0",
  "🎉",
  "plain words",
];

Deno.test("the module's lines, flags and levels are the JavaScript's, for random lines cut anywhere", () => {
  const next = seeded(20261201).next;
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)];
  const max = 64;
  for (let round = 0; round < 40; round++) {
    const lines = Array.from({ length: 300 }, () => {
      const parts = Array.from({ length: Math.floor(next() * 6) }, () => pick(FRAGMENTS));
      // Now and then one longer than the longest line, to be cut.
      if (next() < 0.03) {
        parts.push("y".repeat(max + Math.floor(next() * 3 * max)), pick(FRAGMENTS));
      }
      return parts.join("");
    });
    const text = lines.map((l) => `${l}${next() < 0.2 ? "\r" : ""}\n`).join("");
    const bytes = encoder.encode(text);
    const splitter = new LineSplitter(max);
    const got: { text: string; flags: number; level: number }[] = [];
    const take = (found: Lines | undefined) => {
      if (!found) return;
      const batch = new LineBatch({ service: "s", replica: 0, stream: "stdout" }, 0, 1, found);
      for (let i = 0; i < found.count; i++) {
        const line = found.bytes.subarray(found.starts[i], found.ends[i]);
        got.push({ text: decoder.decode(line), flags: found.flags[i], level: batch.levels[i] });
        const f = found.flags[i];
        const expected = flagsOf(line, 0, line.length);
        // The classes are exact; MAY_LEVEL is never missing where a level may be.
        assertEquals(f & ~MAY_LEVEL, expected & ~MAY_LEVEL, JSON.stringify(decoder.decode(line)));
        const may = mayShowLevel(line, 0, line.length, (f & EQUALS) !== 0, (f & NON_ASCII) !== 0);
        assert(
          !may || (f & MAY_LEVEL),
          `MAY_LEVEL missing: ${JSON.stringify(decoder.decode(line))}`,
        );
      }
    };
    for (let at = 0; at < bytes.length;) {
      const size = 1 + Math.floor(next() * 3000);
      take(splitter.push(bytes.slice(at, at + size)));
      at += size;
    }
    take(splitter.end());
    // The lines are the text's (one carriage return before the newline gone), a long one in
    // pieces of at most `max` bytes; each level is detectLevel's.
    const expected = text.split("\n").slice(0, -1).map((l) =>
      l.endsWith("\r") ? l.slice(0, -1) : l
    );
    let k = 0;
    for (const line of expected) {
      let joined = "";
      do {
        const piece = got[k++];
        assert(piece, `no piece for ${JSON.stringify(line)}`);
        assert(encoder.encode(piece.text).length <= max, JSON.stringify(piece.text));
        assertEquals(LEVELS[piece.level], detectLevel(piece.text), JSON.stringify(piece.text));
        joined += piece.text;
      } while (joined.length < line.length);
      assertEquals(joined, line);
      // A line the module split whole: MAY_LEVEL is exactly mayShowLevel's answer.
      const bytes = encoder.encode(line);
      if (bytes.length > 0 && bytes.length <= max) {
        const f = got[k - 1].flags;
        const may = mayShowLevel(bytes, 0, bytes.length, (f & EQUALS) !== 0, (f & NON_ASCII) !== 0);
        assertEquals((f & MAY_LEVEL) !== 0, may, JSON.stringify(line));
      }
    }
    assertEquals(k, got.length, "no more lines than the text's");
  }
});

Deno.test("the module knows every level word level.ts knows, and no longer one", () => {
  // log.wat keeps 24 words of at most 8 letters.
  assert(LEVEL_WORDS.length <= 24 && LEVEL_WORDS.every((w) => w.length <= 8), `${LEVEL_WORDS}`);
  const text = LEVEL_WORDS.flatMap((w) => [`${w.toUpperCase()} x`, `[${w}] x`, `${w}q x`])
    .join("\n") + "\n";
  const lines = new LineSplitter().push(encoder.encode(text))!;
  assertEquals(
    Array.from(lines.flags, (f) => (f & MAY_LEVEL) !== 0),
    LEVEL_WORDS.flatMap(() => [true, true, false]),
  );
});

Deno.test("records of lines of every length up to 140 bytes, short and long sources, are toNdjson's", () => {
  // The module copies short parts a word at a time and long ones whole: every length and residue.
  const text =
    Array.from({ length: 141 }, (_, n) => "abcdefghij".repeat(15).slice(0, n)).join("\n") +
    "\n";
  const lines = new LineSplitter().push(encoder.encode(text))!;
  for (
    const source of [
      { service: "s", replica: 0, stream: "stdout" },
      {
        service: "a-service-name-of-some-length",
        replica: 12,
        stream: "stderr",
        run: 3,
        task: "t",
      },
      { service: "x", replica: 0, stream: "stdout", run: 1, task: "a-task-name".repeat(8) },
    ] as Source[]
  ) {
    const batch = new LineBatch(source, 1_764_590_400_123, 1, lines);
    const out = new ByteBuffer(16);
    encodeBatch(batch, out);
    const expected = Array.from(
      { length: batch.count },
      (_, i) => `${toNdjson(batch.record(i))}\n`,
    );
    assertEquals(decoder.decode(out.view()), expected.join(""));
  }
});

Deno.test("the module's byte classes are split.ts's, all 256 of them", () => {
  const memory = new Uint8Array(logWasm(0).memory.buffer);
  // log.wat keeps the table at 64.
  assertEquals(Array.from(memory.subarray(64, 64 + 256)), Array.from(CLASS));
});

Deno.test("lines of random bytes come out as TextDecoder decodes them, invalid UTF-8 repaired", () => {
  const next = seeded(7).next;
  // Bytes that make and break UTF-8: leads of every length, continuations, the edges of the ranges.
  const BYTES = [
    0x41,
    0x20,
    0x22,
    0x0d,
    0x80,
    0xbf,
    0xc0,
    0xc2,
    0xdf,
    0xe0,
    0xa0,
    0xed,
    0x9f,
    0xef,
  ];
  const MORE = [0xf0, 0x90, 0xf4, 0x8f, 0xf5, 0xff, 0x7f, 0x00, 0xc3, 0xa9, 0xe2, 0x82, 0xac];
  const pool = [...BYTES, ...MORE];
  const lines = Array.from(
    { length: 3000 },
    () =>
      new Uint8Array(
        Array.from(
          { length: Math.floor(next() * 12) },
          () => pool[Math.floor(next() * pool.length)],
        ),
      ),
  );
  const bytes = new Uint8Array(lines.reduce((n, l) => n + l.length + 1, 1));
  bytes[0] = 0x41; // not a BOM first
  let at = 1;
  for (const line of lines) {
    bytes.set(line, at);
    at += line.length;
    bytes[at++] = 0x0a;
  }
  const sloppy = new TextDecoder("utf-8", { ignoreBOM: true });
  const expected = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes).split("\n")
    .slice(0, -1).map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  const splitter = new LineSplitter();
  const got: string[] = [];
  for (let from = 0; from < bytes.length;) {
    const size = 1 + Math.floor(next() * 700);
    const found = splitter.push(bytes.slice(from, from + size));
    from += size;
    for (let i = 0; found && i < found.count; i++) {
      const line = found.bytes.subarray(found.starts[i], found.ends[i]);
      assert(validUtf8(line, 0, line.length), `line ${got.length} is valid UTF-8`);
      got.push(sloppy.decode(line));
    }
  }
  assertEquals(got, expected);
});
