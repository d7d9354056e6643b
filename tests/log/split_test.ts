import { assert, assertEquals } from "../assert.ts";
import { type Lines, LineSplitter, MAY_LEVEL, validUtf8 } from "../../src/log/split.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** The lines of `chunks` fed to a splitter one by one, as strings. */
function split(chunks: readonly Uint8Array[], maxLine?: number): string[] {
  const splitter = new LineSplitter(maxLine);
  const out: string[] = [];
  const take = (lines: Lines | undefined) => {
    if (!lines) return;
    for (let i = 0; i < lines.count; i++) {
      const bytes = lines.bytes.subarray(lines.starts[i], lines.ends[i]);
      assert(validUtf8(bytes, 0, bytes.length), `line ${i} is valid UTF-8`);
      out.push(decoder.decode(bytes));
    }
  };
  for (const chunk of chunks) take(splitter.push(chunk.slice()));
  take(splitter.end());
  return out;
}

/** `bytes` cut at the given offsets. */
function cutAt(bytes: Uint8Array, ...at: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let from = 0;
  for (const to of [...at, bytes.length]) {
    out.push(bytes.subarray(from, to));
    from = to;
  }
  return out;
}

Deno.test("lines are whole wherever the chunks are cut, empty lines included", () => {
  const text = "alpha\nbeta\n\ngamma delta\nε\n";
  const bytes = encoder.encode(text);
  const expected = ["alpha", "beta", "", "gamma delta", "ε"];
  for (let a = 0; a <= bytes.length; a++) {
    for (let b = a; b <= bytes.length; b += 3) {
      assertEquals(split(cutAt(bytes, a, b)), expected, `cut at ${a} and ${b}`);
    }
  }
  // One byte a chunk.
  assertEquals(split(cutAt(bytes, ...Array.from({ length: bytes.length }, (_, i) => i))), expected);
});

Deno.test("CRLF loses its CR, even when the CR ends a chunk; a CR inside a line stays", () => {
  assertEquals(split([encoder.encode("a\r\nb\r\n")]), ["a", "b"]);
  assertEquals(split([encoder.encode("one\r"), encoder.encode("\ntwo\r\n")]), ["one", "two"]);
  assertEquals(split([encoder.encode("progress 10%\rprogress 20%\r\n")]), [
    "progress 10%\rprogress 20%",
  ]);
  // A last line without a newline loses a trailing CR too.
  assertEquals(split([encoder.encode("x\r\nlast\r")]), ["x", "last"]);
});

Deno.test("a line without a newline at the end of the stream arrives", () => {
  assertEquals(split([encoder.encode("first\nno newline")]), ["first", "no newline"]);
  assertEquals(split([encoder.encode("only")]), ["only"]);
  assertEquals(split([]), []);
  assertEquals(split([encoder.encode("")]), []);
});

Deno.test("huge lines are cut into pieces of at most maxLine bytes, never inside a character", () => {
  const long = "a".repeat(40_000);
  const text = `short\n${long}\nmiddle\r\ntail`;
  const bytes = encoder.encode(text);
  const chunks = [];
  for (let i = 0; i < bytes.length; i += 777) chunks.push(bytes.subarray(i, i + 777));
  const lines = split(chunks, 16_384);
  assertEquals(lines.map((l) => l.length), [5, 16_384, 16_384, 7_232, 6, 4]);
  // Without any newline at all, in one chunk and in many: the carried part is cut as it grows.
  assertEquals(split([encoder.encode(long)], 16_384).map((l) => l.length), [16_384, 16_384, 7_232]);
  assertEquals(
    split(chunks.slice(7, 40), 16_384).join(""),
    decoder.decode(bytes.subarray(7 * 777, 40 * 777)).split("\n").join(""),
  );
  // Two- and four-byte characters: every piece is whole characters, nothing is lost.
  for (const ch of ["é", "日", "🎉"]) {
    const text = ch.repeat(10_000);
    const pieces = split(cutAt(encoder.encode(text), 1000, 5001, 17_000), 1000);
    assertEquals(pieces.join(""), text);
    for (const piece of pieces) assert(encoder.encode(piece).length <= 1000, piece.slice(0, 3));
  }
});

Deno.test("a multi-byte character split across chunks arrives whole", () => {
  const text = "héllo wörld\n日本語のテキスト\n🎉 party 🎉\nend";
  const bytes = encoder.encode(text);
  for (let cut = 0; cut <= bytes.length; cut++) {
    assertEquals(split(cutAt(bytes, cut)), text.split("\n"), `cut at byte ${cut}`);
  }
});

Deno.test("NUL bytes stay in the line", () => {
  assertEquals(split([new Uint8Array([0x61, 0, 0x62, 0x0a, 0, 0x0a])]), ["a\0b", "\0"]);
});

Deno.test("invalid UTF-8 is replaced as TextDecoder replaces it; valid lines beside it are kept", () => {
  const cases: number[][] = [
    [0x61, 0xff, 0x62], // a byte that is never UTF-8
    [0xc3], // a lead byte at the end of the line
    [0xe2, 0x82], // a three-byte character cut short
    [0xed, 0xa0, 0x80], // a surrogate
    [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
    [0xc0, 0xaf], // an overlong form
    [0x80, 0x61], // a lone continuation byte
  ];
  for (const bad of cases) {
    const bytes = new Uint8Array([...encoder.encode("ok é\n"), ...bad, 0x0a, 0x7a]);
    assertEquals(split([bytes]), ["ok é", decoder.decode(new Uint8Array(bad)), "z"], `${bad}`);
  }
});

Deno.test("a BOM opening the stream is dropped, one later is kept", () => {
  const bom = [0xef, 0xbb, 0xbf];
  assertEquals(split([new Uint8Array([...bom, 0x61, 0x0a, ...bom, 0x62])]), ["a", "\ufeffb"]);
});

Deno.test("per-line flags say what each line holds", () => {
  const splitter = new LineSplitter();
  const lines = splitter.push(
    encoder.encode('plain\nsay "hi"\ttab\nlevel=warn\nesc\x1b[31m\né\n'),
  )!;
  const flags = Array.from(lines.flags, (f) => f & ~MAY_LEVEL);
  // JSON_ESCAPE 1, CONTROL 2, NON_ASCII 4, EQUALS 8
  assertEquals(flags, [0, 1, 8, 3, 4]);
  assertEquals(lines.all & ~MAY_LEVEL, 15);
});

Deno.test("a carriage return inside a line is a control character; the one before its newline goes", () => {
  const lines = new LineSplitter().push(encoder.encode("crlf\r\nin\rside\r\n\r\n\r\rx\nend\r"))!;
  assertEquals(Array.from(lines.flags, (f) => f & ~MAY_LEVEL), [0, 3, 0, 3]);
  assertEquals(
    Array.from(
      lines.starts,
      (s, i) => new TextDecoder().decode(lines.bytes.subarray(s, lines.ends[i])),
    ),
    ["crlf", "in\rside", "", "\r\rx"],
  );
});

Deno.test("each piece of a cut line has its own flags, the last one too", () => {
  // 1,500 plain bytes, then a quote, a tab and an escape: the second piece holds them.
  const long = `${"a".repeat(1500)}"\t\x1b[31m`;
  const expect = [0, 3];
  for (const text of [`${long}\n`, long]) {
    const splitter = new LineSplitter(1000);
    const lines = [splitter.push(encoder.encode(text)), splitter.end()].filter((l) => l);
    assertEquals(
      lines.flatMap((l) => Array.from(l!.flags, (f) => f & ~MAY_LEVEL)),
      expect,
      JSON.stringify(text.at(-1)),
    );
  }
  // Carried without a newline and cut as it grows, then ended.
  const splitter = new LineSplitter(1000);
  const first = splitter.push(encoder.encode(`${"b".repeat(1200)}\\`))!;
  const rest = splitter.push(encoder.encode(`${"c".repeat(1000)}é`))!;
  const last = splitter.end()!;
  assertEquals([first, rest, last].flatMap((l) => Array.from(l.flags, (f) => f & ~MAY_LEVEL)), [
    0,
    1,
    4,
  ]);
});
