/**
 * The control plane end to end: a real background orch started with `orch up -d`, driven through
 * the CLI as a user would, over its unix socket and over TCP with tokens.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { processAlive, tempDir } from "../../src/testing/recorder.ts";
import { MAIN as main, runOrch } from "../../src/testing/cli.ts";
import { freePortPrefix } from "../../src/testing/net.ts";
import { ECHO_TICKER_STACK } from "../../src/testing/fixtures.ts";
import { readUntil, waitFor } from "../../src/testing/deadline.ts";

const orch = runOrch;

function runFile(dir: string): { pid: number; socket: string; listen?: string } {
  return JSON.parse(Deno.readTextFileSync(`${dir}/.orch/orch.json`));
}

/** A project with a stack; `down` (and a kill, if need be) on dispose. */
async function project(yaml: string) {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/stack.yaml`, yaml);
  return {
    path: dir.path,
    async [Symbol.asyncDispose]() {
      let pid: number | undefined;
      try {
        pid = runFile(dir.path).pid;
      } catch {
        // not running
      }
      if (pid) {
        await orch(dir.path, ["down", "--timeout", "5s"]);
        if (processAlive(pid)) Deno.kill(pid, "SIGKILL");
      }
      await dir[Symbol.asyncDispose]();
    },
  };
}

const STACK = ECHO_TICKER_STACK;

Deno.test("up -d --wait, status, logs -f, send, restart, stop/start, scale, events, down", async () => {
  await using p = await project(STACK);
  const up = await orch(p.path, ["up", "-d", "--wait", "--timeout", "30s"]);
  assertEquals(up.code, 0, up.stderr);
  assertMatch(up.stdout, /started \S+ in the background \(pid \d+\)/);
  assertMatch(up.stdout, /ready: 3 instance\(s\) ready or completed/);
  const { pid } = runFile(p.path);
  assert(processAlive(pid));
  assertEquals((await Deno.stat(`${p.path}/.orch/orch.sock`)).mode! & 0o777, 0o600);

  const again = await orch(p.path, ["up", "-d"]);
  assertEquals(again.code, 1);
  assertMatch(again.stderr, /already running this project \(pid \d+\)/);

  const status = await orch(p.path, ["status"]);
  assertEquals(status.code, 0, status.stderr);
  assertMatch(status.stdout, /SERVICE\s+STATE\s+READY\s+REPL\s+RESTARTS\s+AGE\s+MESSAGE/);
  assertMatch(status.stdout, /\necho\s+ready\s+true\s+1\/1\s+0\s/);
  assertMatch(status.stdout, /\nsetup\s+completed\s+true\s+1\/1/);
  const json = JSON.parse((await orch(p.path, ["status", "--json"])).stdout);
  assertEquals(json.instances.length, 3);
  assertEquals((await orch(p.path, ["list"])).stdout, "echo\nticker\nsetup\n");

  // Follow echo's log while a line is sent to its stdin.
  const follow = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, "logs", "-f", "echo"],
    cwd: p.path,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = follow.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const send = await orch(p.path, ["send", "echo", "hello", "there"]);
  assertEquals(send.stdout, "sent to 1 instance(s) of echo\n");
  const seen = await readUntil(reader, (t) => t.includes("got hello there"), "logs -f to show it");
  assertMatch(seen, /echo\s+\| got hello there/);
  await reader.cancel();
  follow.kill("SIGINT");
  await follow.status;

  const tail = await orch(p.path, ["logs", "ticker", "--tail", "2", "--json"]);
  const records = tail.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(records.length, 2);
  assertMatch(records[1].msg, /^tick \d+$/);

  const before = JSON.parse((await orch(p.path, ["status", "--json"])).stdout).instances[1].pid;
  assertEquals((await orch(p.path, ["restart", "ticker"])).stdout, "ticker: restarted\n");
  const afterRestart = JSON.parse((await orch(p.path, ["status", "--json"])).stdout).instances[1];
  assert(afterRestart.pid !== before && afterRestart.restarts === 1, JSON.stringify(afterRestart));

  assertEquals((await orch(p.path, ["stop", "ticker"])).code, 0);
  assertMatch((await orch(p.path, ["status"])).stdout, /\nticker\s+stopped/);
  assertEquals((await orch(p.path, ["start", "ticker"])).code, 0);

  // events: start following, then scale, and see the new replicas come.
  const events = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, "events", "--json"],
    cwd: p.path,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const eventReader = events.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const notes = events.stderr.pipeThrough(new TextDecoderStream()).getReader();
  assertMatch((await notes.read()).value ?? "", /^following events of /);
  await notes.cancel();
  const scale = await orch(p.path, ["scale", "echo=3"]);
  assertEquals(scale.stdout, "echo: 3 replica(s)\n");
  await readUntil(
    eventReader,
    (t) => /"service":"echo","replica":2,"state":"ready"/.test(t),
    "the event of echo.2 ready",
  );
  await eventReader.cancel();
  events.kill("SIGINT");
  await events.status;
  assertMatch((await orch(p.path, ["status"])).stdout, /\necho\s+ready\s+true\s+3\/3/);

  const pids = JSON.parse((await orch(p.path, ["status", "--json"])).stdout).instances
    .flatMap((i: { pid?: number }) => (i.pid ? [i.pid] : []));
  const down = await orch(p.path, ["down"]);
  assertEquals(down.code, 0, down.stderr);
  assertMatch(down.stdout, /ticker stopped[\s\S]*echo\.\d stopped[\s\S]* is down\n$/);
  assert(!processAlive(pid), "the background orch has exited");
  for (const child of pids) assert(!processAlive(child), `service process ${child} is gone`);
  await assertGone(`${p.path}/.orch/orch.json`);
  assertEquals((await orch(p.path, ["status"])).code, 1);
  assertEquals((await orch(p.path, ["down"])).stdout, `nothing is running for ${p.path}\n`);
});

async function assertGone(path: string) {
  try {
    await Deno.stat(path);
    throw new Error(`${path} still exists`);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

Deno.test("up -d --wait fails naming the service and why; a blocked dependent says so", async () => {
  await using p = await project(`
services:
  db:
    command: "echo starting; exit 3"
    restartPolicy: { maxRetries: 1, backoff: { min: 10ms, max: 10ms } }
    health: { log: { pattern: "accepting connections" } }
  api:
    command: "exec sleep 30"
    dependsOn: [{ target: db, require: ready }]
`);
  const up = await orch(p.path, ["up", "-d", "--wait", "--timeout", "30s"]);
  assertEquals(up.code, 1);
  assertMatch(up.stderr, /not ready:\n {2}db failed: gave up after 1 restart: exit code 3\n/);
  assertMatch(up.stderr, /\n {2}api waiting: blocked: dependency db /);
});

Deno.test("up -d --wait gives up at its timeout, naming the probe that fails", async () => {
  await using p = await project(`
services:
  web:
    command: "exec sleep 30"
    health:
      tcp: { address: "127.0.0.1:1" }
      interval: 100ms
`);
  const up = await orch(p.path, ["up", "-d", "--wait", "--timeout", "1s"]);
  assertEquals(up.code, 1);
  assertMatch(up.stderr, /not ready after 1s:\n {2}web running: probe tcp: connection refused/);
});

Deno.test("TCP listener: 401 without a token, 403 for the read-only token, admin may act", async () => {
  await using p = await project(STACK);
  const up = await orch(p.path, ["up", "-d", "--wait", "--listen", "127.0.0.1:0"]);
  assertEquals(up.code, 0, up.stderr);
  const { listen } = runFile(p.path);
  assertMatch(listen ?? "", /^127\.0\.0\.1:\d+$/);
  const tokens = JSON.parse(await Deno.readTextFile(`${p.path}/.orch/tokens.json`));
  assertEquals((await Deno.stat(`${p.path}/.orch/tokens.json`)).mode! & 0o777, 0o600);
  const elsewhere = await Deno.makeTempDir();
  try {
    const none = await orch(elsewhere, ["status", "--host", listen!]);
    assertEquals(none.code, 1);
    assertMatch(none.stderr, /a valid bearer token is required/);
    const read = await orch(elsewhere, ["status"], {
      ORCH_HOST: listen!,
      ORCH_TOKEN: tokens.readOnly,
    });
    assertEquals(read.code, 0, read.stderr);
    assertMatch(read.stdout, /\necho\s+ready/);
    const denied = await orch(elsewhere, [
      "restart",
      "echo",
      "--host",
      listen!,
      "--token",
      tokens.readOnly,
    ]);
    assertEquals(denied.code, 1);
    assertMatch(denied.stderr, /read-only/);
    const allowed = await orch(elsewhere, ["restart", "echo"], {
      ORCH_HOST: `http://${listen}`,
      ORCH_TOKEN: tokens.admin,
    });
    assertEquals(allowed.code, 0, allowed.stderr);
    const missing = await orch(elsewhere, ["restart", "nope"], {
      ORCH_HOST: listen!,
      ORCH_TOKEN: tokens.admin,
    });
    assertEquals(missing.code, 1);
    assertMatch(missing.stderr, /no service named "nope"/);
  } finally {
    await Deno.remove(elsewhere, { recursive: true });
  }
});

Deno.test("a SIGKILLed background orch leaves a stale socket that is detected and cleaned", async () => {
  await using p = await project(STACK);
  assertEquals((await orch(p.path, ["up", "-d", "--wait"])).code, 0);
  const { pid, socket } = runFile(p.path);
  const children = JSON.parse((await orch(p.path, ["status", "--json"])).stdout).instances
    .flatMap((i: { pid?: number }) => (i.pid ? [i.pid] : []));
  Deno.kill(pid, "SIGKILL");
  await waitFor(
    () => !processAlive(pid) && !children.some(processAlive),
    () =>
      `orch ${pid} and its services to be gone (alive: ${[pid, ...children].filter(processAlive)})`,
  );
  for (const child of children) assert(!processAlive(child), `service ${child} died with orch`);
  await Deno.stat(socket); // the socket file is still there
  const status = await orch(p.path, ["status"]);
  assertEquals(status.code, 1);
  assertMatch(status.stderr, /no orch is running .*stale .*orch\.json was removed/);
  await assertGone(socket);
  const up = await orch(p.path, ["up", "-d", "--wait"]);
  assertEquals(up.code, 0, up.stderr);
  assert(runFile(p.path).pid !== pid);
});

Deno.test("orch apply rolls a changed 3-replica service out and reports the plan", async () => {
  const prefix = freePortPrefix();
  const stack = (version: string, command = "") => `
services:
  web:
    replicas: 3
    env: { VERSION: "${version}" }
    command: "${
    command || `exec python3 -u -m http.server ${prefix}\${ORCH_REPLICA} --bind 127.0.0.1`
  }"
    health:
      http: { url: "http://127.0.0.1:${prefix}\${ORCH_REPLICA}/" }
      interval: 100ms
    update: { strategy: rolling, maxUnavailable: 1 }
  other: { command: "exec sleep 30" }
`;
  await using p = await project(stack("1"));
  assertEquals((await orch(p.path, ["up", "-d", "--wait"])).code, 0);
  const otherPid = () =>
    JSON.parse(Deno.readTextFileSync(`${p.path}/status.json`)).instances.find((
      i: { service: string },
    ) => i.service === "other").pid;
  const snapshot = async () =>
    await Deno.writeTextFile(
      `${p.path}/status.json`,
      (await orch(p.path, ["status", "--json"])).stdout,
    );
  await snapshot();
  const before = otherPid();
  await Deno.writeTextFile(`${p.path}/stack.yaml`, stack("2"));
  const dry = await orch(p.path, ["apply", "--dry-run"]);
  assertEquals(dry.stdout, "~ web  (env changed; rolling)\n  unchanged: other\n");
  const apply = await orch(p.path, ["apply"]);
  assertEquals(apply.code, 0, apply.stderr);
  assertMatch(
    apply.stdout,
    /rollout started[\s\S]*3\/3 replicas replaced[\s\S]*rollout done[\s\S]*applied\n$/,
  );
  await snapshot();
  assertEquals(otherPid(), before, "the unchanged service kept its process");
  await Deno.writeTextFile(`${p.path}/stack.yaml`, stack("3", "exit 4"));
  const broken = await orch(p.path, ["apply"]);
  assertEquals(broken.code, 1);
  assertMatch(
    broken.stderr,
    /web: rollout failed and was rolled back: web\.\d backoff: exit code 4/,
  );
  const status = await orch(p.path, ["status"]);
  assertMatch(status.stdout, /\nweb\s+ready\s+true\s+3\/3/);
});

Deno.test("a project path too long for a unix socket gets a socket in a short runtime directory", async () => {
  await using root = await tempDir();
  const deep = `${root.path}/${"a-rather-long-directory-name/".repeat(4)}`;
  await Deno.mkdir(deep, { recursive: true });
  await Deno.writeTextFile(`${deep}/stack.yaml`, `services:\n  s: { command: "exec sleep 30" }\n`);
  const up = await orch(deep, ["up", "-d", "--wait"]);
  assertEquals(up.code, 0, up.stderr);
  const { socket } = runFile(deep);
  assert(!socket.startsWith(deep) && socket.length < 100, socket);
  assertMatch((await orch(deep, ["status"])).stdout, /\ns\s+ready/);
  assertEquals((await orch(deep, ["down"])).code, 0);
  await assertGone(socket);
});

Deno.test("a run file whose pid now belongs to another process is stale, not a running orch", async () => {
  await using p = await project(`services:\n  s: { command: "exec sleep 30" }\n`);
  await Deno.mkdir(`${p.path}/.orch`);
  // This very test process stands in for an unrelated process that got the dead orch's pid.
  await Deno.writeTextFile(
    `${p.path}/.orch/orch.json`,
    JSON.stringify({
      pid: Deno.pid,
      socket: `${p.path}/.orch/orch.sock`,
      procStart: 1,
      startedAt: 0,
    }),
  );
  const status = await orch(p.path, ["status"]);
  assertEquals(status.code, 1);
  assertMatch(status.stderr, /no orch is running .*stale/);
  const up = await orch(p.path, ["up", "-d", "--wait"]);
  assertEquals(up.code, 0, up.stderr);
});

Deno.test("a background orch's services get the environment up -d was given, and nothing more", async () => {
  await using p = await project(
    `services:\n  env: { kind: oneshot, command: "echo foo=$FOO log=$\${ORCH_LOG:-none}" }\n`,
  );
  assertEquals((await orch(p.path, ["up", "-d", "--wait"], { FOO: "bar" })).code, 0);
  assertEquals((await orch(p.path, ["logs", "env"])).stdout, "env  | foo=bar log=none\n");
});
