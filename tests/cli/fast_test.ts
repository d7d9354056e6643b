/**
 * The fast command-line path (`runFast`), by what it does: a line it fully understands becomes the
 * requests a running orch gets (checked on a real HTTP server on 127.0.0.1 standing in for one);
 * anything else is left to the full parser (undefined), asking nothing of anyone.
 */
import { assertEquals, assertMatch } from "../assert.ts";
import { runFast } from "../../src/cli/fast.ts";
import type { CliIO } from "../../src/cli/io.ts";
import { testIO } from "../../src/testing/io.ts";

/** An orch's control API as far as these commands use it, recording every request. */
function fakeOrch(): AsyncDisposable & { host: string; seen: string[] } {
  const seen: string[] = [];
  const json = (body: unknown) => Response.json(body);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const body = req.method === "POST" ? await req.text() : "";
    const auth = req.headers.get("authorization");
    seen.push(
      `${req.method} ${url.pathname}${url.search}${body ? ` ${body}` : ""}${
        auth ? ` (${auth})` : ""
      }`,
    );
    if (url.pathname === "/v1/status") {
      return json({
        stack: "shop",
        version: "0",
        pid: 1,
        startedAt: 0,
        now: 0,
        phase: "running",
        services: [],
        instances: [],
      });
    }
    if (url.pathname === "/v1/services") {
      return json({ services: [{ name: "api", enabled: true, replicas: 1 }] });
    }
    if (url.pathname === "/v1/logs") return new Response("");
    if (url.pathname === "/v1/events") return new Response(": orch events\n\n");
    if (url.pathname.endsWith("/send")) return json({ delivered: 1 });
    return json({});
  });
  return {
    host: `127.0.0.1:${server.addr.port}`,
    seen,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

function bufferIO(): CliIO & { printed: string[]; warned: string[] } {
  const printed: string[] = [];
  const warned: string[] = [];
  return {
    ...testIO({
      cwd: "/nonexistent-orch-project",
      out: (text) => void printed.push(text),
      err: (text) => void warned.push(text),
    }),
    printed,
    warned,
  };
}

Deno.test("a line the fast path does not fully understand goes to the full parser", async () => {
  await using orch = fakeOrch();
  const h = orch.host;
  const lines = [
    [],
    ["--help"],
    ["-h"],
    ["status", "--help"],
    ["status", "--bogus", "--host", h],
    ["status", "--json=yes", "--host", h],
    ["status", "extra", "--host", h],
    ["-x", "status", "--host", h],
    ["down", "--host", h, "--timeout"],
    ["frobnicate", "--host", h],
    ["up", "--host", h],
    ["constructor", "--host", h],
    ["__proto__", "--host", h],
    ["status", "--constructor", "--host", h],
    ["stop", "--host", h],
    ["scale", "--host", h],
    ["send", "api", "--host", h],
    ["logs", "-q", "--host", h],
    ["--host"],
  ];
  for (const argv of lines) {
    const io = bufferIO();
    assertEquals(await runFast(argv, io), undefined, `orch ${argv.join(" ")}`);
    assertEquals([io.printed, io.warned], [[], []], `orch ${argv.join(" ")} says nothing`);
  }
  assertEquals(orch.seen, [], "no orch was asked anything");
});

Deno.test("status, ps and list, with the global options after the command, or inline before it", async () => {
  await using orch = fakeOrch();
  const io = bufferIO();
  assertEquals(await runFast(["status", "--json", "--host", orch.host], io), 0);
  assertEquals(JSON.parse(io.printed.join("")).stack, "shop");
  assertEquals(await runFast(["ps", "-w", "--host", orch.host], io), 0);
  assertMatch(io.printed.at(-1)!, /SERVICE/);
  assertEquals(await runFast([`--host=${orch.host}`, "list", "--json"], io), 0);
  assertEquals(JSON.parse(io.printed.at(-1)!)[0].name, "api");
  assertEquals(orch.seen, ["GET /v1/status", "GET /v1/status", "GET /v1/services"]);
});

Deno.test("logs: -f after the command follows; every filter is passed on", async () => {
  await using orch = fakeOrch();
  const io = bufferIO();
  const code = await runFast(
    ["logs", "-f", "api", "-n", "5", "--since", "1h", "--level=warn", "--host", orch.host],
    io,
  );
  assertEquals(code, 0);
  assertEquals(orch.seen.splice(0), [
    "GET /v1/services",
    "GET /v1/logs?service=api&since=1h&tail=5&level=warn&follow=true",
  ]);
  assertEquals(await runFast(["--file=stack.yaml", `--host=${orch.host}`, "logs", "api"], io), 0);
  assertEquals(orch.seen, ["GET /v1/services", "GET /v1/logs?service=api"]);
});

Deno.test("start, stop, restart, scale and send make their requests, with the token", async () => {
  await using orch = fakeOrch();
  const io = bufferIO();
  const h = ["--host", orch.host];
  assertEquals(await runFast(["start", "api", "web", ...h], io), 0);
  assertEquals(await runFast(["restart", "api", "--token", "s3cret", ...h], io), 0);
  assertEquals(await runFast(["scale", "api=3", "web=0", ...h], io), 0);
  assertEquals(await runFast(["send", "api", "hello", "world", ...h], io), 0);
  assertEquals(await runFast([`--host=${orch.host}`, "send", "api", "--", "-v", "--host"], io), 0);
  assertEquals(orch.seen, [
    "POST /v1/services/api/start",
    "POST /v1/services/web/start",
    "POST /v1/services/api/restart (Bearer s3cret)",
    'POST /v1/services/api/scale {"replicas":3}',
    'POST /v1/services/web/scale {"replicas":0}',
    'POST /v1/services/api/send {"text":"hello world"}',
    'POST /v1/services/api/send {"text":"-v --host"}',
  ]);
  assertEquals(io.printed.slice(0, 3), ["api: starting\n", "web: starting\n", "api: restarted\n"]);
});

Deno.test("down passes its timeout and follows the shutdown", async () => {
  await using orch = fakeOrch();
  const io = bufferIO();
  assertEquals(await runFast(["down", "--timeout", "5s", "--host", orch.host], io), 0);
  assertEquals(orch.seen, [
    "GET /v1/status",
    "GET /v1/events",
    'POST /v1/shutdown {"timeout":"5s"}',
  ]);
  assertEquals(io.printed.at(-1), "shop is down\n");
});
