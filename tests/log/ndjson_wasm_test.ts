/** The WebAssembly NDJSON encoder: its module is what `deno task wasm` builds, and its records are toNdjson's. */
import { assert, assertEquals } from "../assert.ts";
import { buildWasm, OUTPUT } from "../../tools/build_wasm.ts";
import { toNdjson } from "../../src/domain/log.ts";
import { LineBatch, type Source } from "../../src/log/batch.ts";
import { ByteBuffer } from "../../src/log/bytes.ts";
import { encodeBatch } from "../../src/log/ndjson.ts";
import { PIECE } from "../../src/log/ndjson_wasm.ts";
import { LineSplitter } from "../../src/log/split.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

Deno.test("src/log/ndjson_wasm.gen.ts is up to date with src/log/ndjson.wat (else run deno task wasm)", async () => {
  assert(
    await buildWasm() === await Deno.readTextFile(OUTPUT),
    "src/log/ndjson_wasm.gen.ts is stale: src/log/ndjson.wat changed since it was built; run `deno task wasm`",
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
