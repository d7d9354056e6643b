/**
 * The flows' commands end to end against a real background orch (`orch up -d`): flows, trigger
 * with a payload, flow run --wait with both exit codes, runs and run show, logs --flow --tail,
 * cancel, retry from a task, scheduler pause/resume; then the same over TCP with the read-only
 * token (mutations refused) and the admin token.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { runOrch } from "../../src/testing/cli.ts";
import { project, runFile } from "../../src/testing/project.ts";
import { waitFor } from "../../src/testing/deadline.ts";

const STACK = `
services:
  web: { command: "sleep 600" }
flows:
  build:
    schedule: "0 3 * * *"
    events: [pushed]
    tasks:
      compile:
        command: 'echo "compiling $(cat "$ORCH_PAYLOAD_FILE")"; echo "artifact=app-\${payload.v}" >> "$ORCH_OUTPUTS"'
      test:
        command: 'echo "testing \${tasks.compile.artifact}"; test "\${payload.v}" != bad'
        dependsOn: [compile]
  slow:
    tasks:
      nap: { command: "echo napping; sleep 600" }
`;

Deno.test({
  name: "flows, runs, run show/cancel/retry, trigger, flow run --wait, logs --flow, scheduler",
  sanitizeResources: false,
  async fn() {
    await using p = await project(STACK);
    const dir = p.path;
    const orch = (args: string[], env: Record<string, string> = {}) =>
      runOrch(dir, args, env, { timeoutMs: 60_000 });
    const up = await orch(["up", "-d", "--listen", "127.0.0.1:0"]);
    assertEquals(up.code, 0, up.stderr);

    const flows = await orch(["flows"]);
    assertEquals(flows.code, 0, flows.stderr);
    assertMatch(flows.stdout, /^FLOW +SCHEDULE +NEXT +LAST +RECENT +STATE/m);
    assertMatch(flows.stdout, /^build +0 3 \* \* \* +in \S+ +- +-/m);
    assertMatch(flows.stdout, /^slow +- +- +- +-/m);

    // flow run --wait: 0 when the run succeeds, 1 when it fails.
    const ok = await orch(["flow", "run", "build", "--payload", '{"v":"1"}', "--wait"]);
    assertEquals(ok.code, 0, ok.stdout + ok.stderr);
    assertMatch(ok.stdout, /^run 1 of build: running/m);
    assertMatch(ok.stdout, /^run 1 of build: succeeded/m);
    assertMatch(ok.stdout, /^compile +succeeded +1 +\S+ +0 +artifact=app-1/m);
    const bad = await orch(["flow", "run", "build", "--payload", '{"v":"bad"}', "--wait"]);
    assertEquals(bad.code, 1, bad.stdout + bad.stderr);
    assertMatch(bad.stdout, /^run 2 of build: failed/m);
    assertMatch(bad.stdout, /^test +failed +1 +\S+ +1 +exit code 1/m);
    const nope = await orch(["flow", "run", "nope"]);
    assert(nope.code !== 0);
    assertMatch(nope.stderr, /no flow named "nope"/);

    // trigger EVENT --payload: the flows listening to it run.
    const trig = await orch(["trigger", "pushed", "--payload", '{"v":"3"}', "--key", "k"]);
    assertEquals(trig.code, 0, trig.stderr);
    assertMatch(trig.stdout, /^event pushed: run 3 of build: running/m);
    const again = await orch(["trigger", "pushed", "--key", "k", "--json"]);
    assertEquals(JSON.parse(again.stdout).runs[0].run.id, 3);
    assertEquals(JSON.parse(again.stdout).runs[0].created, false);
    await waitFor(
      async () => {
        const r = await orch(["run", "show", "3", "--json"]);
        return JSON.parse(r.stdout).run.status === "succeeded";
      },
      "run 3 to succeed",
      30_000,
      100,
    );

    const runs = await orch(["runs", "build"]);
    assertMatch(runs.stdout, /^RUN +FLOW +STATUS +TRIGGER +STARTED +TOOK +REASON/m);
    assertMatch(runs.stdout, /^3 +build +succeeded +event: pushed/m);
    assertMatch(runs.stdout, /^2 +build +failed +manual/m);
    const failed = await orch(["runs", "--status", "failed", "--json"]);
    assertEquals(JSON.parse(failed.stdout).runs.map((r: { id: number }) => r.id), [2]);
    assertEquals((await orch(["runs", "--status", "bogus"])).code, 2);

    const logs = await orch(["logs", "--flow", "build", "--run", "3", "--task", "compile"]);
    assertEquals(logs.code, 0, logs.stderr);
    assertMatch(logs.stdout, /^build\/compile +\| compiling \{"v":"3"\}/m);
    assert(!logs.stdout.includes("testing"), logs.stdout);
    const tail = await orch(["logs", "--flow", "build", "--tail", "1"]);
    assertEquals(tail.stdout.trim().split("\n").length, 1, tail.stdout);
    assertMatch(tail.stdout, /testing app-3/);

    // retry run 2 from test, after the payload... the retry keeps the payload: it fails again.
    const retry = await orch(["run", "retry", "2", "--wait"]);
    assertMatch(retry.stdout, /^run 4 of build: retries run 2 from task test/m);
    assertEquals(retry.code, 1, retry.stdout);
    const shown = JSON.parse((await orch(["run", "show", "4", "--json"])).stdout);
    const compile = shown.tasks.find((t: { task: string }) => t.task === "compile");
    assertEquals(compile.outputs, { artifact: "app-bad" });

    // cancel a running run.
    const slow = await orch(["flow", "run", "slow", "--json"]);
    const slowId = JSON.parse(slow.stdout).run.id;
    await waitFor(
      async () => {
        const l = await orch(["logs", "--flow", "slow", "--run", String(slowId)]);
        return l.stdout.includes("napping");
      },
      "the slow task to print",
      30_000,
      100,
    );
    const cancel = await orch(["run", "cancel", String(slowId)]);
    assertEquals(cancel.code, 0, cancel.stderr);
    await waitFor(
      async () => {
        const r = JSON.parse((await orch(["run", "show", String(slowId), "--json"])).stdout);
        return r.run.status === "cancelled";
      },
      "the slow run to be cancelled",
      30_000,
      100,
    );

    // pause and resume.
    const pause = await orch(["scheduler", "pause", "build"]);
    assertMatch(pause.stdout, /^build: paused/m);
    assertMatch(pause.stdout, /paused flows: build/);
    const skipped = await orch(["trigger", "pushed", "--json"]);
    assertEquals(JSON.parse(skipped.stdout).runs[0].run.status, "skipped");
    assertMatch((await orch(["flows"])).stdout, /^build .* paused$/m);
    assertEquals((await orch(["scheduler", "resume", "build"])).code, 0);
    const state = JSON.parse((await orch(["scheduler", "--json"])).stdout);
    assertEquals([state.paused, state.pausedFlows], [false, []]);

    // Over TCP: the read-only token reads and is refused every mutation; the admin token acts.
    const { listen } = runFile(dir) as { listen?: string };
    assert(listen, "the run file names the TCP listener");
    const tokens = JSON.parse(await Deno.readTextFile(`${dir}/.orch/tokens.json`));
    const elsewhere = await Deno.makeTempDir({ prefix: "orch-remote-" });
    try {
      const remote = (args: string[], token: string) =>
        runOrch(elsewhere, ["--host", listen!, "--token", token, ...args], {}, {
          timeoutMs: 60_000,
        });
      const read = await remote(["runs", "build", "--json"], tokens.readOnly);
      assertEquals(read.code, 0, read.stderr);
      assertEquals(JSON.parse(read.stdout).runs[0].id, 6);
      assertEquals((await remote(["run", "show", "1"], tokens.readOnly)).code, 0);
      for (
        const args of [
          ["flow", "run", "build"],
          ["trigger", "pushed"],
          ["run", "cancel", "1"],
          ["run", "retry", "2"],
          ["scheduler", "pause"],
        ]
      ) {
        const refused = await remote(args, tokens.readOnly);
        assert(refused.code !== 0, `${args.join(" ")} with the read-only token`);
        assertMatch(refused.stderr, /read-only/, args.join(" "));
      }
      const viaHostPort = await runOrch(elsewhere, [
        "--host-port",
        listen!,
        "--token",
        tokens.admin,
        "flow",
        "run",
        "build",
        "--payload",
        '{"v":"9"}',
        "--wait",
      ]);
      assertEquals(viaHostPort.code, 0, viaHostPort.stdout + viaHostPort.stderr);
      assertMatch(viaHostPort.stdout, /succeeded/);
      const tailed = await remote(
        ["logs", "--flow", "build", "--task", "test", "-n", "1"],
        tokens.readOnly,
      );
      assertMatch(tailed.stdout, /testing app-9/);
    } finally {
      await Deno.remove(elsewhere, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "orch run --jobs DIR --api: the flows commands and Petit's routes reach it; orch down stops it",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "orch-jobs-api-" });
    await Deno.mkdir(`${dir}/jobs`);
    await Deno.writeTextFile(
      `${dir}/jobs/hello.yaml`,
      `name: hello
schedule: "0 0 3 * * *"
tasks:
  greet:
    type: command
    program: echo
    args: ["hello from petit"]
`,
    );
    const [program, ...rest] = (await import("../../src/testing/cli.ts")).orchArgv();
    const child = new Deno.Command(program, {
      args: [...rest, "run", "--jobs", "jobs", "--api", "--listen", "127.0.0.1:0"],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    try {
      await waitFor(
        () => {
          try {
            return runFile(dir).listen !== undefined;
          } catch {
            return false;
          }
        },
        "the jobs run's API to listen",
        30_000,
      );
      const orch = (args: string[]) => runOrch(dir, args, {}, { timeoutMs: 60_000 });
      const flows = await orch(["flows"]);
      assertEquals(flows.code, 0, flows.stderr);
      assertMatch(flows.stdout, /^hello +0 0 3 \* \* \*/m);
      const ran = await orch(["flow", "run", "hello", "--wait"]);
      assertEquals(ran.code, 0, ran.stdout + ran.stderr);
      assertMatch(ran.stdout, /^greet +succeeded/m);
      const logs = await orch(["logs", "--flow", "hello", "--tail", "1"]);
      assertMatch(logs.stdout, /hello from petit/);

      const { listen } = runFile(dir) as { listen?: string };
      const tokens = JSON.parse(await Deno.readTextFile(`${dir}/.orch/tokens.json`));
      const petit = async (method: string, path: string, token = tokens.readOnly) => {
        const r = await fetch(`http://${listen}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}` },
        });
        return { status: r.status, json: await r.json() };
      };
      const jobs = await petit("GET", "/api/jobs");
      assertEquals(jobs.json.map((j: { id: string }) => j.id), ["hello"]);
      assertEquals(jobs.json[0].last_run.status, "completed");
      assertEquals((await petit("POST", "/api/jobs/hello/trigger")).status, 403);
      const trig = await petit("POST", "/api/jobs/hello/trigger", tokens.admin);
      assertEquals(trig.status, 202);
      await waitFor(
        async () => {
          const run = await petit("GET", `/api/runs/${trig.json.run_id}`);
          return run.json.status === "completed";
        },
        "the triggered run to complete",
        30_000,
        50,
      );
      const tasks = await petit("GET", `/api/runs/${trig.json.run_id}/tasks`);
      assertEquals(tasks.json.map((t: { task_id: string }) => t.task_id), ["greet"]);
      assertEquals((await petit("GET", "/api/scheduler/state")).json.state, "running");

      const down = await orch(["down"]);
      assertEquals(down.code, 0, down.stderr);
      const status = await child.status;
      assertEquals(status.code, 0);
      let runFileGone = false;
      try {
        runFile(dir);
      } catch {
        runFileGone = true;
      }
      assert(runFileGone, "the run file is removed");
      // With nothing running, the read commands read the history, read-only, and say so.
      const past = await orch(["runs", "hello", "--json"]);
      assertEquals(past.code, 0, past.stderr);
      assertMatch(past.stderr, /no orch is running for .*; read from .*history\.db \(read-only\)/);
      const runs = JSON.parse(past.stdout).runs as { id: number; status: string }[];
      assertEquals(runs.map((r) => r.status), ["succeeded", "succeeded"]);
      const shown = await orch(["run", "show", String(runs[0].id)]);
      assertMatch(shown.stdout, /^greet +succeeded/m);
      assertEquals((await orch(["run", "cancel", String(runs[0].id)])).code, 1);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // ended
      }
      const [out, err] = await output;
      if (Deno.env.get("DEBUG")) console.error(out, err);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "Conducktor's command line: start --max-executors, CDKTR_* settings, stop",
  sanitizeResources: false,
  async fn() {
    await using p = await project(`
flows:
  f:
    tasks:
      hello: { command: "echo hello" }
`);
    const dir = p.path;
    const orch = (args: string[], env: Record<string, string> = {}) =>
      runOrch(dir, args, env, { timeoutMs: 60_000 });
    const start = await orch(["start", "--max-executors", "3"]);
    assertEquals(start.code, 0, start.stderr);
    assertEquals(JSON.parse((await orch(["scheduler", "--json"])).stdout).executors.max, 3);
    const stop = await orch(["stop"]);
    assertEquals(stop.code, 0, stop.stderr);
    // The environment's setting, below the flag.
    assertEquals((await orch(["start"], { CDKTR_MAX_EXECUTORS: "5" })).code, 0);
    assertEquals(JSON.parse((await orch(["scheduler", "--json"])).stdout).executors.max, 5);
    assertEquals((await orch(["stop"])).code, 0);
    const bad = await orch(["start"], { CDKTR_MAX_EXECUTORS: "lots" });
    assertEquals(bad.code, 2, bad.stderr);
    assertMatch(
      bad.stderr,
      /CDKTR_MAX_EXECUTORS: expected a whole number from 1 to 10000, got "lots"/,
    );

    // The master's address from CDKTR_MASTER_HOST and CDKTR_MASTER_PORT, with a token.
    assertEquals((await orch(["up", "-d", "--listen", "127.0.0.1:0"])).code, 0);
    const { listen } = runFile(dir) as { listen?: string };
    const [host, port] = listen!.split(":");
    const tokens = JSON.parse(await Deno.readTextFile(`${dir}/.orch/tokens.json`));
    const elsewhere = await Deno.makeTempDir({ prefix: "orch-cdktr-" });
    try {
      const remote = await runOrch(elsewhere, ["flows"], {
        CDKTR_MASTER_HOST: host,
        CDKTR_MASTER_PORT: port,
        ORCH_TOKEN: tokens.readOnly,
      });
      assertEquals(remote.code, 0, remote.stderr);
      assertMatch(remote.stdout, /^f +- +- +- +-/m);
      const half = await runOrch(elsewhere, ["flows"], { CDKTR_MASTER_HOST: host });
      assertMatch(half.stderr, /CDKTR_MASTER_HOST and CDKTR_MASTER_PORT go together/);
    } finally {
      await Deno.remove(elsewhere, { recursive: true });
    }
  },
});
