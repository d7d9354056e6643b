import { LineBatch } from "./src/log/batch.ts";
import { ByteBuffer } from "./src/log/bytes.ts";
import { encodeBatch } from "./src/log/ndjson.ts";
import { LineSplitter } from "./src/log/split.ts";
import { appendText } from "./src/log/text.ts";
const enc = new TextEncoder();
let text = ""; for (let i = 1; i <= 1_000_000; i++) text += i + "\n";
const input = enc.encode(text);
const CH = 65536;
const src = { service: "flood", replica: 0, stream: "stdout" as const };
const prefix = enc.encode("flood  | ");
function run(what: string) {
  const splitter = new LineSplitter();
  const out = new ByteBuffer(1 << 20); const out2 = new ByteBuffer(1 << 20);
  let seq = 1; let tSplit = 0, tBatch = 0, tNd = 0, tTxt = 0;
  for (let at = 0; at < input.length; at += CH) {
    let t = performance.now();
    const lines = splitter.push(input.subarray(at, at + CH));
    tSplit += performance.now() - t;
    if (!lines) continue;
    t = performance.now();
    const b = new LineBatch(src, 1764590400000, seq, lines); seq += b.count;
    tBatch += performance.now() - t;
    t = performance.now();
    encodeBatch(b, out); if (out.length > 1 << 20) out.length = 0;
    tNd += performance.now() - t;
    t = performance.now();
    appendText(b, out2, { prefix }); if (out2.length > 1 << 20) out2.length = 0;
    tTxt += performance.now() - t;
  }
  console.log(what, `split ${tSplit.toFixed(1)} levels ${tBatch.toFixed(1)} ndjson ${tNd.toFixed(1)} text ${tTxt.toFixed(1)}`);
}
for (let i = 0; i < 6; i++) run(`round ${i}`);
