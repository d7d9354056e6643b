/**
 * The TCP listener of a real background orch under attack: 20,000 connections, a 300 MB body and
 * a client that sends half a request head. orch and its services live on, the unix socket answers
 * throughout, memory stays bounded.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { runOrch as orch } from "../../src/testing/cli.ts";
import { project, rssBytes, runFile, sampleMax } from "../../src/testing/project.ts";
import { processAlive } from "../../src/testing/recorder.ts";
import { readUntil, waitFor } from "../../src/testing/deadline.ts";

const STACK = `services:\n  a: { command: "exec sleep 600" }\n`;
const encoder = new TextEncoder();

/**
 * What the peer sends until it closes the connection (a reset ends it too), or until `timeoutMs`,
 * when the connection is closed and `timedOut` is set.
 */
async function readUntilClosed(conn: Deno.Conn, timeoutMs: number) {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.close();
  }, timeoutMs);
  const buffer = new Uint8Array(8192);
  let text = "";
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
  } catch {
    // reset by orch, or closed by the timer
  } finally {
    clearTimeout(timer);
  }
  try {
    conn.close();
  } catch {
    // closed already
  }
  return { text, timedOut };
}

async function started() {
  const p = await project(STACK);
  const up = await orch(p.path, ["up", "-d", "--wait", "--listen", "127.0.0.1:0"]);
  assertEquals(up.code, 0, up.stderr);
  const run = runFile(p.path);
  const port = Number(run.listen!.split(":")[1]);
  const status = JSON.parse((await orch(p.path, ["status", "--json"])).stdout);
  return { p, run, port, service: status.instances[0].pid as number };
}

/**
 * The status of `GET /v1/health` on the unix socket, within `ms`: a raw HTTP/1.1 exchange, so that
 * what is measured is orch, not a client's connection pool.
 */
async function healthOnSocket(socket: string, ms = 5000): Promise<number> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  await conn.write(encoder.encode("GET /v1/health HTTP/1.1\r\nHost: orch\r\n\r\n"));
  const { text, timedOut } = await readUntilClosed(conn, ms);
  if (timedOut) throw new Error(`no answer on ${socket} within ${ms}ms`);
  const status = /^HTTP\/1\.1 (\d{3}) /.exec(text);
  if (!status) throw new Error(`not an HTTP answer on ${socket}: ${text.slice(0, 200)}`);
  return Number(status[1]);
}

Deno.test("20,000 connections to the TCP listener: orch and its services live, the unix socket answers throughout", async () => {
  const { p, run, port, service } = await started();
  await using _ = p;
  const flooders = [0, 1].map(() =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../../src/testing/flood.ts", import.meta.url).pathname,
        String(port),
        "10000",
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn()
  );
  try {
    // While the connections are being opened and held, the socket keeps answering.
    const reports = flooders.map(async (child) => {
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      const text = await readUntil(reader, (t) => t.includes("\n"), "a flooder's report", {
        ms: 120_000,
      });
      await reader.cancel();
      return text.trim();
    });
    let answered = 0;
    let slowest = 0;
    let finished = false;
    const held = Promise.all(reports).finally(() => (finished = true));
    while (!finished) {
      const begin = performance.now();
      assertEquals(await healthOnSocket(run.socket), 200);
      slowest = Math.max(slowest, performance.now() - begin);
      answered++;
    }
    console.log(
      `unix socket: ${answered} answers during the flood, slowest ${Math.round(slowest)}ms`,
    );
    const counts = await held;
    for (const line of counts) assertMatch(line, /^held \d+ failed \d+$/);
    const total = counts.reduce((n, l) => n + Number(/held (\d+)/.exec(l)![1]), 0);
    assert(total >= 15_000, `the flood held ${total} connections (${counts.join(", ")})`);
    assert(answered > 0);
    assertEquals(await healthOnSocket(run.socket), 200);
    assert(processAlive(run.pid), "orch lives");
    assert(processAlive(service), "its service lives");
  } finally {
    for (const child of flooders) {
      await child.stdin.close().catch(() => {});
      await child.status;
    }
  }
  // After the flood: both listeners answer.
  const { admin } = JSON.parse(await Deno.readTextFile(`${p.path}/.orch/tokens.json`));
  let status = 0;
  await waitFor(
    async () => {
      const response = await fetch(`http://${run.listen}/v1/health`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      await response.body?.cancel();
      status = response.status;
      return status === 200;
    },
    () => `the TCP listener to answer 200 (last ${status})`,
    30_000,
    0,
  );
  assertEquals(await healthOnSocket(run.socket), 200);
  assert(processAlive(run.pid) && processAlive(service));
  const log = await Deno.readTextFile(`${p.path}/.orch/orch.log`);
  assertMatch(log, /connections are open \(the limit\); refusing more/);
  assert(!/Uncaught|Too many open files/.test(log), log);
});

/** Sends a head and then up to `bytes` of body, reading the answer meanwhile. */
async function hugePost(port: number, head: string, bytes: number, chunked: boolean) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const answer = readUntilClosed(conn, 60_000);
  let sent = 0;
  try {
    await conn.write(encoder.encode(head));
    const block = new Uint8Array(1 << 20).fill(120);
    const framed = chunked
      ? new Uint8Array([...encoder.encode(`${block.length.toString(16)}\r\n`), ...block, 13, 10])
      : block;
    while (sent < bytes) {
      for (let at = 0; at < framed.length;) at += await conn.write(framed.subarray(at));
      sent += block.length;
    }
  } catch {
    // orch closed the connection: what we wanted
  }
  return { text: (await answer).text, sent };
}

Deno.test("a 300 MB POST is refused (413) without being read whole; orch's memory stays bounded", async () => {
  const { p, run, port } = await started();
  await using _ = p;
  const { admin } = JSON.parse(await Deno.readTextFile(`${p.path}/.orch/tokens.json`));
  const before = rssBytes(run.pid);
  const stop = sampleMax(() => rssBytes(run.pid));
  const size = 300 << 20;
  const declared = await hugePost(
    port,
    `POST /v1/apply HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`,
    size,
    false,
  );
  assertMatch(declared.text, /^HTTP\/1\.1 413 [\s\S]*larger than 16777216 bytes/);
  assert(declared.sent < size, `orch read all ${declared.sent} bytes`);
  const chunked = await hugePost(
    port,
    `POST /v1/apply HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\n` +
      `Transfer-Encoding: chunked\r\n\r\n`,
    size,
    true,
  );
  assertMatch(chunked.text, /^HTTP\/1\.1 413 /);
  assert(chunked.sent < size, `orch read all ${chunked.sent} bytes`);
  const max = stop();
  console.log(`orch's RSS: ${before >> 20} MiB before, ${max >> 20} MiB at most`);
  assert(processAlive(run.pid));
  assert(max - before < 80 << 20, `orch grew by ${(max - before) >> 20} MiB`);
  assertEquals(await healthOnSocket(run.socket), 200);
});

Deno.test("a client that sends half a request head is dropped after the header timeout (10s)", async () => {
  const { p, run, port } = await started();
  await using _ = p;
  const slow = async (conn: Deno.Conn) => {
    await conn.write(encoder.encode("GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: "));
    const begin = performance.now();
    const { text } = await readUntilClosed(conn, 30_000);
    return { text, ms: performance.now() - begin };
  };
  const [tcp, unix] = await Promise.all([
    slow(await Deno.connect({ hostname: "127.0.0.1", port })),
    slow(await Deno.connect({ transport: "unix", path: run.socket })),
  ]);
  for (const r of [tcp, unix]) {
    assertMatch(r.text, /^HTTP\/1\.1 408 /);
    assert(r.ms > 9_000 && r.ms < 25_000, `dropped after ${Math.round(r.ms)}ms`);
  }
  assertEquals(await healthOnSocket(run.socket), 200);
});
