/**
 * Each probe against real servers and commands on 127.0.0.1: what passes, what fails (and says
 * why), what could not run at all (an `error`, which the monitor does not count as a failure), and
 * timeouts.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { checkHttp } from "../../src/probe/http.ts";
import { checkTcp } from "../../src/probe/tcp.ts";
import { checkCmd } from "../../src/probe/cmd.ts";
import { createProber } from "../../src/probe/mod.ts";
import { describeNetworkError } from "../../src/probe/errors.ts";
import { ProcessRuntime } from "../../src/runtime/process/runtime.ts";
import type { CommandRunner } from "../../src/engine/ports.ts";
import { freePort } from "../../src/testing/net.ts";
import { silentListener, switchableServer } from "../../src/testing/servers.ts";
import { tempDir } from "../../src/testing/recorder.ts";

const get = (url: string, expectStatus: number[] = []) => ({
  url,
  method: "GET",
  headers: {},
  expectStatus,
});

Deno.test("http: an expected status passes; another fails naming it; none listed takes 2xx and 3xx", async () => {
  await using server = switchableServer(200);
  assertEquals(
    (await checkHttp(get(server.url, [200]), { timeoutMs: 5_000 })).outcome,
    "ok",
  );
  server.status = 503;
  const fail = await checkHttp(get(server.url, [200]), { timeoutMs: 5_000 });
  assertEquals([fail.outcome, fail.detail], ["fail", "503 Service Unavailable"]);
  server.status = 302;
  assertEquals((await checkHttp(get(server.url), { timeoutMs: 5_000 })).outcome, "ok");
  assertEquals(
    (await checkHttp(get(server.url, [200]), { timeoutMs: 5_000 })).detail,
    "302 Found",
    "a redirect is not followed",
  );
  server.status = 404;
  assertEquals((await checkHttp(get(server.url), { timeoutMs: 5_000 })).outcome, "fail");
});

Deno.test("http: a refused connection and a server that never answers fail, saying which", async () => {
  const refused = await checkHttp(get(`http://127.0.0.1:${freePort()}/`), { timeoutMs: 5_000 });
  assertEquals([refused.outcome, refused.detail], ["fail", "connection refused"]);
  await using silent = silentListener();
  const began = performance.now();
  const late = await checkHttp(get(`http://127.0.0.1:${silent.port}/`), { timeoutMs: 300 });
  assertEquals([late.outcome, late.detail], ["fail", "timeout after 300ms"]);
  assert(performance.now() - began < 5_000, "the probe gave up at its timeout");
});

Deno.test("http: a probe cancelled by its monitor ends at once", async () => {
  await using silent = silentListener();
  const abort = new AbortController();
  const probing = checkHttp(get(`http://127.0.0.1:${silent.port}/`), {
    timeoutMs: 60_000,
    signal: abort.signal,
  });
  abort.abort();
  assertEquals((await probing).outcome, "fail");
});

Deno.test("tcp: a listening port passes; a closed one is refused; a bad address could not run", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  const accepted = listener.accept();
  const ok = await checkTcp({ address: `127.0.0.1:${port}` }, { timeoutMs: 5_000 });
  assertEquals([ok.outcome, ok.detail], ["ok", `connected to 127.0.0.1:${port}`]);
  (await accepted).close();
  listener.close();
  const closed = await checkTcp({ address: `127.0.0.1:${port}` }, { timeoutMs: 5_000 });
  assertEquals([closed.outcome, closed.detail], ["fail", "connection refused"]);
  const loopback = await checkTcp({ address: `:${port}` }, { timeoutMs: 5_000 });
  assertEquals(loopback.detail, "connection refused", "`:port` is loopback");
  const bad = await checkTcp({ address: "localhost" }, { timeoutMs: 5_000 });
  assertEquals([bad.outcome, bad.detail], ["error", 'bad address "localhost"']);
});

Deno.test("cmd: exit 0 passes; another code fails with the last line of output; a timeout fails", async () => {
  await using dir = await tempDir();
  const runtime = new ProcessRuntime({ project: dir.path, containment: "marker" });
  try {
    const options = { cwd: dir.path, env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" } };
    const ok = await checkCmd(
      { command: { shell: "test -d ." }, inContainer: false },
      runtime,
      { ...options, timeoutMs: 5_000 },
    );
    assertEquals([ok.outcome, ok.detail], ["ok", "exit code 0"]);
    const fail = await checkCmd(
      { command: { shell: "echo checking; echo 'db is down'; exit 3" }, inContainer: false },
      runtime,
      { ...options, timeoutMs: 5_000 },
    );
    assertEquals([fail.outcome, fail.detail], ["fail", "exit code 3: db is down"]);
    const slow = await checkCmd(
      { command: { exec: ["sleep", "30"] }, inContainer: false },
      runtime,
      { ...options, timeoutMs: 300 },
    );
    assertEquals([slow.outcome, slow.detail], ["fail", "timeout after 300ms"]);
    const missing = await checkCmd(
      { command: { exec: ["no-such-program-for-orch"] }, inContainer: false },
      runtime,
      { ...options, timeoutMs: 5_000 },
    );
    assertEquals(missing.outcome, "error", "a command that could not run is no failure");
    assertMatch(missing.detail, /no-such-program-for-orch/);
    const env = await checkCmd(
      { command: { shell: 'test "$ORCH_REPLICA" = 2' }, inContainer: false },
      runtime,
      { ...options, env: { ...options.env, ORCH_REPLICA: "2" }, timeoutMs: 5_000 },
    );
    assertEquals(env.outcome, "ok", "the instance's environment reaches the command");
  } finally {
    await runtime.close();
  }
});

Deno.test("the prober sends each target to its probe; a cmd target may bring its own runner", async () => {
  await using server = switchableServer(200);
  await using dir = await tempDir();
  const runtime = new ProcessRuntime({ project: dir.path, containment: "marker" });
  try {
    const prober = createProber(runtime);
    const o = { timeoutMs: 5_000 };
    assertEquals((await prober.check({ kind: "http", probe: get(server.url) }, o)).outcome, "ok");
    assertEquals(
      (await prober.check({ kind: "tcp", probe: { address: `127.0.0.1:${server.port}` } }, o))
        .outcome,
      "ok",
    );
    const cmd = { command: { shell: "exit 0" }, inContainer: true };
    const here = await prober.check({ kind: "cmd", probe: cmd, cwd: dir.path, env: {} }, o);
    assertEquals(here.outcome, "ok");
    // A container's exec: the runner the target brings, not the host's.
    const ran: string[] = [];
    const inside: CommandRunner = {
      run: (command) => {
        ran.push(JSON.stringify(command));
        return Promise.resolve({ code: 7, output: "from inside", timedOut: false });
      },
    };
    const there = await prober.check(
      { kind: "cmd", probe: cmd, cwd: dir.path, env: {}, runner: inside },
      o,
    );
    assertEquals([there.outcome, there.detail, ran], [
      "fail",
      "exit code 7: from inside",
      ['{"shell":"exit 0"}'],
    ]);
  } finally {
    await runtime.close();
  }
});

Deno.test("network errors are put in a few stable words", () => {
  assertEquals(
    describeNetworkError(new Error("Connection refused (os error 111)")),
    "connection refused",
  );
  assertEquals(describeNetworkError(new Error("Connection reset by peer")), "connection reset");
  assertEquals(describeNetworkError(new Error("No route to host")), "host unreachable");
  assertEquals(
    describeNetworkError(new Error("failed to lookup address information")),
    "host not found",
  );
  assertEquals(describeNetworkError(new Error("invalid peer certificate")), "TLS error");
  assertEquals(describeNetworkError(new Error("something odd\nmore")), "something odd");
  const fetchFailed = new TypeError("fetch failed", {
    cause: new Error(
      "client error (Connect): tcp connect error: Connection refused (os error 111)",
    ),
  });
  assertEquals(describeNetworkError(fetchFailed), "connection refused", "the cause says what");
  assertEquals(describeNetworkError(new TypeError("fetch failed")), "fetch failed");
});
