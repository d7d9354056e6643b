/**
 * A process-compose file and a Procfile run for real through the CLI (processes), and the
 * convert and export commands end to end.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { runOrch } from "../../src/testing/cli.ts";
import { processAlive, tempDir } from "../../src/testing/recorder.ts";

Deno.test("orch up runs a process-compose.yaml: conditions, log readiness, replicas, is_daemon with its shutdown", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir.path}/process-compose.yaml`,
    `processes:
  setup:
    command: "echo prepared > prepared.txt"
  db:
    command: "echo 'db is ready to accept'; exec sleep 60"
    ready_log_line: "ready to accept"
    depends_on:
      setup: { condition: process_completed_successfully }
  api:
    command: "echo api replica $PC_REPLICA_NUM of $PC_PROC_NAME sees $(cat prepared.txt); exec sleep 60"
    replicas: 2
    depends_on:
      db: { condition: process_log_ready }
  bg:
    command: "sleep 120 & echo $! > bg.pid"
    is_daemon: true
    shutdown:
      command: "kill $(cat bg.pid)"
      timeout_seconds: 5
`,
  );
  const up = await runOrch(dir.path, ["up", "-d", "--wait", "--timeout", "60s"]);
  let pid = 0;
  try {
    assertEquals(up.code, 0, `${up.stdout}\n${up.stderr}`);
    const logs = await runOrch(dir.path, ["logs", "api"]);
    assertMatch(logs.stdout, /api replica 0 of api sees prepared/);
    assertMatch(logs.stdout, /api replica 1 of api sees prepared/);
    pid = Number((await Deno.readTextFile(`${dir.path}/bg.pid`)).trim());
    assert(processAlive(pid), "the daemon runs");
  } finally {
    const down = await runOrch(dir.path, ["down"]);
    assertEquals(down.code, 0, down.stderr);
  }
  assert(pid > 0 && !processAlive(pid), "shutdown.command stopped the daemon");
});

Deno.test("orch up runs a Procfile with -m: foreman's ports, .env, and the stack ends when they do", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir.path}/Procfile`,
    "web: echo web on $PORT with $GREETING\nworker: echo worker on $PORT\n",
  );
  await Deno.writeTextFile(`${dir.path}/.env`, "GREETING=hi\n");
  const up = await runOrch(dir.path, ["up", "--no-tui", "-f", "Procfile", "-m", "web=2,worker=1"]);
  assertEquals(up.code, 0, `${up.stdout}\n${up.stderr}`);
  assertMatch(up.stdout, /web on 5000 with hi/);
  assertMatch(up.stdout, /web on 5001 with hi/);
  assertMatch(up.stdout, /worker on 5100/);
  const bare = await runOrch(dir.path, ["validate"]);
  assertEquals(bare.code, 0, bare.stderr);
  assertMatch(bare.stdout, /valid: .*Procfile .*2 services/, "found by default");
});

Deno.test("orch convert and orch export through the CLI", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir.path}/compose.yaml`,
    'services:\n  web:\n    image: local/busybox:latest\n    command: ["sleep", "1"]\n    cap_add: [NET_ADMIN]\n',
  );
  const convert = await runOrch(dir.path, ["convert", "compose.yaml"]);
  assertEquals(convert.code, 0, convert.stderr);
  assertMatch(convert.stdout, /wrote (\.\/)?orch\.yaml from compose \(1 warning as comments\)/);
  const text = await Deno.readTextFile(`${dir.path}/orch.yaml`);
  assertMatch(text, /# .*compose\.yaml:5:\d+: services\.web\.cap_add: cap_add is not supported/);
  const validate = await runOrch(dir.path, ["validate", "-f", "orch.yaml"]);
  assertEquals(validate.code, 0, validate.stderr);
  const compose = await runOrch(dir.path, ["export", "compose", "-f", "orch.yaml"]);
  assertEquals(compose.code, 0, compose.stderr);
  assertMatch(compose.stdout, /restart: "no"/);
  const k8s = await runOrch(dir.path, ["export", "k8s", "-f", "orch.yaml", "-o", "k8s"]);
  assertEquals(k8s.code, 0, k8s.stderr);
  const files = [...Deno.readDirSync(`${dir.path}/k8s`)].map((e) => e.name).sort();
  assertEquals(files, ["deployment-web.yaml"]);
  const bad = await runOrch(dir.path, ["export", "nomad"]);
  assertEquals(bad.code, 2);
});
