/**
 * The API's own HTTP server on real sockets: deadlines for heads and bodies, body limits refused
 * without reading, a connection limit, streams that end with their client, and EMFILE survived.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { type HttpServerOptions, serveHttp } from "../../src/cli/http_server.ts";
import { waitFor } from "../../src/testing/deadline.ts";

const encoder = new TextEncoder();

function server(
  handler: (request: Request) => Promise<Response>,
  options: Partial<HttpServerOptions> = {},
) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const reports: string[] = [];
  const http = serveHttp(listener, handler, {
    name: "test",
    report: (m) => reports.push(m),
    ...options,
  });
  const port = (listener.addr as Deno.NetAddr).port;
  return {
    port,
    reports,
    http,
    url: `http://127.0.0.1:${port}`,
    [Symbol.asyncDispose]: () => http.close(100),
  };
}

/** Everything the server sends until it closes, within `timeoutMs`. */
async function readAll(conn: Deno.Conn, timeoutMs = 10_000): Promise<string> {
  const chunks: string[] = [];
  const buffer = new Uint8Array(64 * 1024);
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      chunks.push(new TextDecoder().decode(buffer.subarray(0, n)));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted)) {
      if (!(error instanceof Deno.errors.ConnectionReset)) throw error;
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed by the timer
    }
  }
  return chunks.join("");
}

const ok = () => Promise.resolve(new Response("ok\n"));

Deno.test("a client that sends half a head is answered 408 and dropped after the header timeout", async () => {
  await using s = server(ok, { headerTimeoutMs: 300 });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
  await conn.write(encoder.encode("GET /v1/health HTTP/1.1\r\nHost: x\r\n"));
  const started = performance.now();
  const answer = await readAll(conn);
  const elapsed = performance.now() - started;
  assertMatch(answer, /^HTTP\/1\.1 408 /);
  assertMatch(answer, /did not arrive within 300ms/);
  assert(elapsed >= 250 && elapsed < 5000, `dropped after ${elapsed}ms`);
});

Deno.test("a body declared larger than the limit is refused (413) before it is read", async () => {
  let called = false;
  await using s = server(() => {
    called = true;
    return ok();
  }, { bodyLimit: () => 1024 });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
  await conn.write(
    encoder.encode("POST /v1/apply HTTP/1.1\r\nHost: x\r\nContent-Length: 300000000\r\n\r\n{"),
  );
  const answer = await readAll(conn);
  assertMatch(answer, /^HTTP\/1\.1 413 /);
  assertMatch(answer, /"kind":"too_large".*larger than 1024 bytes/);
  assert(!called, "the handler never ran");
});

Deno.test("a chunked body is cut off at the limit with 413; a small one reaches the handler", async () => {
  await using s = server(
    async (request) => new Response(`got ${(await request.text()).length}`),
    {
      bodyLimit: () => 1000,
    },
  );
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
  const chunk = `${(600).toString(16)}\r\n${"x".repeat(600)}\r\n`;
  await conn.write(
    encoder.encode(
      `POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}${chunk}`,
    ),
  );
  assertMatch(await readAll(conn), /^HTTP\/1\.1 413 /);
  const small = await fetch(`${s.url}/a`, { method: "POST", body: "y".repeat(999) });
  assertEquals(await small.text(), "got 999");
  const malformed = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
  await malformed.write(
    encoder.encode("POST /a HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"),
  );
  assertMatch(
    await readAll(malformed),
    /^HTTP\/1\.1 400 .*either content-length or transfer-encoding/s,
  );
});

Deno.test("a body that stops arriving is a 408 after the body timeout", async () => {
  await using s = server(async (r) => new Response(await r.text()), { bodyTimeoutMs: 300 });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
  await conn.write(encoder.encode("POST /a HTTP/1.1\r\nContent-Length: 100\r\n\r\nhalf"));
  const answer = await readAll(conn);
  assertMatch(answer, /^HTTP\/1\.1 408 .*body did not arrive within 300ms/s);
});

Deno.test("over the connection limit, a client gets 503 and the others are still served", async () => {
  await using s = server(ok, { maxConnections: 2, headerTimeoutMs: 10_000 });
  const idle = [
    await Deno.connect({ hostname: "127.0.0.1", port: s.port }),
    await Deno.connect({ hostname: "127.0.0.1", port: s.port }),
  ];
  await waitFor(
    () => s.http.connections === 2,
    () => `2 connections (${s.http.connections})`,
    5000,
    5,
  );
  const extra = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
  await extra.write(encoder.encode("GET / HTTP/1.1\r\n\r\n"));
  assertMatch(await readAll(extra), /^HTTP\/1\.1 503 .*too many connections/s);
  assertMatch(s.reports.join("\n"), /2 connections are open \(the limit\)/);
  for (const conn of idle) conn.close();
  await waitFor(
    () => s.http.connections === 0,
    () => `no connection (${s.http.connections})`,
    5000,
    5,
  );
  assertEquals(await (await fetch(s.url)).text(), "ok\n");
});

Deno.test("a streamed response goes out chunked, and ends when the client goes away", async () => {
  const cancelled = Promise.withResolvers<void>();
  await using s = server(() =>
    Promise.resolve(
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(encoder.encode("first\n"));
          },
          cancel() {
            cancelled.resolve();
          },
        }),
      ),
    )
  );
  const response = await fetch(`${s.url}/v1/logs?follow=true`);
  assertEquals(response.headers.get("transfer-encoding"), "chunked");
  const reader = response.body!.getReader();
  assertEquals(new TextDecoder().decode((await reader.read()).value), "first\n");
  await reader.cancel();
  await cancelled.promise;
});

Deno.test("out of file descriptors: the server says so once, survives, and serves again", async () => {
  const child = new Deno.Command("prlimit", {
    args: [
      "--nofile=48:48",
      Deno.execPath(),
      "run",
      "-A",
      new URL("../../src/testing/http_fixture.ts", import.meta.url).pathname,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  const until = async (pattern: RegExp) => {
    const deadline = setTimeout(() => lines.cancel(), 20_000);
    try {
      while (!pattern.test(out)) {
        const { value, done } = await lines.read();
        if (done) throw new Error(`the fixture ended; waited for ${pattern}: ${out}`);
        out += value;
      }
    } finally {
      clearTimeout(deadline);
    }
  };
  try {
    await until(/port (\d+)\n/);
    const port = Number(/port (\d+)/.exec(out)![1]);
    // Far more connections than the fixture has descriptors; each stays open without a request.
    const flood = await Promise.all(
      Array.from({ length: 200 }, () => Deno.connect({ hostname: "127.0.0.1", port })),
    );
    await until(/report .*out of file descriptors/);
    for (const conn of flood) conn.close();
    let answer = "";
    await waitFor(
      async () => {
        try {
          answer =
            await (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) }))
              .text();
        } catch {
          // still draining the backlog
        }
        return answer.includes("ok");
      },
      () => `the fixture to answer again (last answer ${JSON.stringify(answer)})`,
      20_000,
      0,
    );
    assertEquals(answer, "ok\n");
    assertEquals(out.match(/out of file descriptors/g)?.length, 1, out);
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await lines.cancel().catch(() => {});
  }
});
