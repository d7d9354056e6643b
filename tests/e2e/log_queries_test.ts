/**
 * Log queries over 100 MB of persisted NDJSON stream with bounded memory: a real background orch
 * stays under 150 MB of RSS while four queries run at once, `/v1/health` keeps answering, and the
 * answers are right (count, order, tail, level, since).
 */
import { assert, assertEquals } from "../assert.ts";
import { runOrch as orch } from "../../src/testing/cli.ts";
import { project, rssBytes, runFile, sampleMax } from "../../src/testing/project.ts";
import { type LogRecord, toNdjson } from "../../src/domain/log.ts";
import { unixClient } from "../../src/cli/state.ts";
import { readToEnd, readUntil, waitFor } from "../../src/testing/deadline.ts";

const PER_FILE = 25 << 20;

/** Writes the generations `.4` (two hours old) to the current file, as LogHub writes them. */
async function writeLogs(dir: string): Promise<{ records: number; a: number[]; warnB: number }> {
  await Deno.mkdir(`${dir}/.orch/logs`, { recursive: true });
  let seq = 0;
  const now = Date.now();
  const a: number[] = [];
  let records = 0;
  let warnB = 0;
  const files = ["orch.ndjson.4", "orch.ndjson.3", "orch.ndjson.2", "orch.ndjson.1", "orch.ndjson"];
  for (const [g, name] of files.entries()) {
    const old = g === 0;
    const size = old ? 5 << 20 : PER_FILE;
    const start = old ? now - 2 * 3600_000 : now - 50 * 60_000 + (g - 1) * 10 * 60_000;
    const file = await Deno.open(`${dir}/.orch/logs/${name}`, { write: true, create: true });
    let text = "";
    let written = 0;
    let i = 0;
    while (written < size) {
      seq++;
      const service = seq % 2 ? "a" : "b";
      const level = seq % 100 === 0 ? "warn" : "info";
      const record: LogRecord = {
        ts: start + Math.floor(i++ / 10),
        seq,
        service,
        replica: 0,
        stream: "stdout",
        level,
        msg: `gen ${seq} ${"x".repeat(120)}`,
      };
      const line = toNdjson(record) + "\n";
      text += line;
      written += line.length;
      if (!old) {
        records++;
        if (service === "a") a.push(seq);
        if (service === "b" && level === "warn") warnB++;
      }
      if (text.length > 1 << 20) {
        await file.write(new TextEncoder().encode(text));
        text = "";
      }
    }
    await file.write(new TextEncoder().encode(text));
    file.close();
  }
  return { records, a, warnB };
}

/** Reads an NDJSON answer line by line, keeping only what `keep` returns. */
async function query<T>(socket: string, path: string, keep: (r: LogRecord) => T): Promise<T[]> {
  const client = unixClient(socket);
  try {
    const response = await fetch(`http://localhost${path}`, { client });
    assertEquals(response.status, 200, path);
    const out: T[] = [];
    let rest = "";
    for await (const text of response.body!.pipeThrough(new TextDecoderStream())) {
      rest += text;
      const lines = rest.split("\n");
      rest = lines.pop()!;
      for (const line of lines) if (line) out.push(keep(JSON.parse(line)));
    }
    assertEquals(rest, "", `${path} ends with a newline`);
    return out;
  } finally {
    client.close();
  }
}

/**
 * Asks for `/v1/health` every 50 ms from a process of its own (the test's own JSON parsing of
 * 100 MB must not count as orch's delay). `ready` resolves at its first answer; after `stop`,
 * `result` holds how long each answer since then took, in ms.
 */
async function healthProber(socket: string) {
  const script = `
    const client = Deno.createHttpClient({ proxy: { transport: "unix", path: Deno.args[0] } });
    const times = [];
    let stopped = false, first = true;
    (async () => { for await (const _ of Deno.stdin.readable); stopped = true; })();
    while (!stopped) {
      const begin = performance.now();
      const response = await fetch("http://localhost/v1/health", {
        client, signal: AbortSignal.timeout(10_000),
      });
      await response.body?.cancel();
      if (response.status !== 200) throw new Error("health answered " + response.status);
      if (first) console.log("ready");
      else times.push(performance.now() - begin);
      first = false;
      await new Promise((r) => setTimeout(r, 50));
    }
    console.log(JSON.stringify(times));`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", script, socket],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = await readUntil(lines, (t) => t.includes("\n"), "the first health answer", {
    ms: 20_000,
  }).catch(async (error) => {
    try {
      child.kill();
    } catch {
      // it has ended already
    }
    throw new Error(`${error.message}\nthe prober's stderr: ${await stderr}`);
  });
  assertEquals(first, "ready\n");
  const result = (async () => {
    const rest = await readToEnd(lines, "the prober's answers after its stop");
    const { code } = await child.status;
    assertEquals(code, 0, await stderr);
    return JSON.parse(rest) as number[];
  })();
  return { result, stop: () => void child.stdin.close() };
}

Deno.test("four log queries over 100 MB of logs: orch stays under 150 MB, health answers, results are right", async () => {
  // c writes more than its ring keeps, so that even an orch that trusted its rings reads the files.
  await using p = await project(
    `services:\n  a: { command: "exec sleep 600" }\n  b: { command: "exec sleep 600" }\n` +
      `  c: { kind: oneshot, command: "seq 1 6000" }\n`,
  );
  const generated = await writeLogs(p.path);
  const up = await orch(p.path, ["up", "-d", "--wait"]);
  assertEquals(up.code, 0, up.stderr);
  await waitFor(
    async () => (await orch(p.path, ["logs", "c", "-n", "1"])).stdout.includes("6000"),
    "c's 6000 lines to arrive",
    20_000,
    0,
  );
  const { pid, socket } = runFile(p.path);
  const before = rssBytes(pid);
  const stop = sampleMax(() => rssBytes(pid), 20);

  const prober = await healthProber(socket);
  const gen = (r: LogRecord) => (/^gen \d+ /.test(r.msg) ? r.seq : -1);
  const [all, b, tailA, warn] = await Promise.all([
    query(socket, "/v1/logs?since=1h", gen),
    query(socket, "/v1/logs?since=1h&service=b", (r) => r.service),
    query(socket, "/v1/logs?since=1h&service=a&tail=1000", gen),
    query(socket, "/v1/logs?since=1h&level=warn&service=b", (r) => r.level),
  ]).finally(() => prober.stop());
  const times = (await prober.result).sort((x, y) => x - y);
  const median = times[times.length >> 1] ?? Infinity;
  const slowest = times.at(-1) ?? Infinity;
  const max = stop();
  console.log(
    `orch's RSS ${before >> 20} MiB before, ${max >> 20} MiB at most; ` +
      `${times.length} health answers, median ${Math.round(median)}ms, slowest ${
        Math.round(slowest)
      }ms`,
  );

  assert(max < 150 << 20, `orch used ${max >> 20} MiB`);
  // An orch that reads whole files, or scans without a turn of its event loop, answers once or
  // not at all while the queries run (2-4 s here), and in seconds. The bounds are generous for a
  // loaded 2-core machine: unloaded, the median is a few ms and the slowest about 0.2 s.
  assert(times.length >= 5, `health answered ${times.length} time(s) while the queries ran`);
  assert(median < 250, `health answered in a median of ${Math.round(median)}ms`);
  assert(slowest < 3000, `a health check took ${Math.round(slowest)}ms`);

  const seqs = all.filter((s) => s >= 0);
  assertEquals(seqs.length, generated.records, "every record of the last hour, none older");
  for (let i = 1; i < seqs.length; i++) {
    if (seqs[i] <= seqs[i - 1]) throw new Error(`out of order at ${i}: ${seqs[i - 1]}, ${seqs[i]}`);
  }
  assertEquals(b.length, generated.records / 2);
  assert(b.every((s) => s === "b"));
  assertEquals(tailA, generated.a.slice(-1000), "the last 1000 of a, in order");
  assertEquals(warn.length, generated.warnB);
  assert(warn.every((l) => l === "warn"));
});
