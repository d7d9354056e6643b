/**
 * Past then live: the records kept, then new ones, with no gap and no duplicate, while lines keep
 * coming; from memory, and from the persisted log once the rings no longer hold them.
 */
import { assertEquals } from "../assert.ts";
import { pastThenLive } from "../../src/control/mod.ts";
import type { LogRecord } from "../../src/domain/log.ts";
import { LogHub } from "../../src/log/hub.ts";
import { tempDir } from "../../src/testing/recorder.ts";

/** Writes `count` lines, a few at a time, yielding to the event loop between. */
async function produce(hub: LogHub, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) {
    hub.line(i % 2 ? "api" : "db", 0, "stdout", `line ${i}`);
    if (i % 7 === 0) await new Promise((r) => setTimeout(r, 0));
  }
}

async function followUntil(
  stream: AsyncIterable<readonly LogRecord[]>,
  last: string,
): Promise<LogRecord[]> {
  const seen: LogRecord[] = [];
  for await (const batch of stream) {
    seen.push(...batch);
    if (batch.some((r) => r.msg === last)) break;
  }
  return seen;
}

for (const ringSize of [100_000, 10]) {
  const where = ringSize === 10 ? "the persisted log" : "memory";
  Deno.test(`following from ${where}: every record once, in order, while lines keep coming`, async () => {
    await using dir = await tempDir();
    const hub = new LogHub({ ringSize, ndjsonPath: `${dir.path}/orch.ndjson` });
    try {
      await produce(hub, 0, 300);
      const producing = produce(hub, 300, 300);
      const stream = pastThenLive(hub, {}, { follow: true });
      const seen = await followUntil(stream.batches(), "line 599");
      stream.close();
      await producing;
      assertEquals(seen.map((r) => r.seq), Array.from({ length: 600 }, (_, i) => i + 1));
    } finally {
      hub.close();
    }
  });
}

Deno.test("as NDJSON: the same records, whole lines; tail and filter apply to the past", async () => {
  await using dir = await tempDir();
  const hub = new LogHub({ ndjsonPath: `${dir.path}/orch.ndjson` });
  try {
    await produce(hub, 0, 20);
    const stream = pastThenLive(hub, { services: ["api"] }, { tail: 3, follow: true });
    hub.line("api", 0, "stdout", "line live");
    hub.line("db", 0, "stdout", "not api");
    let text = "";
    for await (const chunk of stream.ndjson()) {
      text += new TextDecoder().decode(chunk);
      if (text.includes("line live")) break;
    }
    stream.close();
    const msgs = text.trim().split("\n").map((l) => JSON.parse(l).msg);
    assertEquals(msgs, ["line 15", "line 17", "line 19", "line live"]);
  } finally {
    hub.close();
  }
});
