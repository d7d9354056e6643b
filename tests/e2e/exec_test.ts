/**
 * `orch exec -- CMD ARGS` end to end: against a real background orch (`orch up -d`), its output
 * and exit status passed through, recorded as a run of @exec with its task and log, options
 * (--env, --cwd, --timeout), cancelled with orch run cancel; over TCP with the admin token, and
 * refused with the read-only one; and with no orch running, in-process on the project's history.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { runOrch } from "../../src/testing/cli.ts";
import { project, runFile } from "../../src/testing/project.ts";
import { waitFor } from "../../src/testing/deadline.ts";
import { SqliteHistory } from "../../src/store/mod.ts";

const STACK = `
services:
  web: { command: "sleep 600" }
flows:
  nightly:
    schedule: "0 3 * * *"
    tasks:
      a: { command: "true" }
`;

Deno.test({
  name: "orch exec runs a command in the running orch's executor, recorded, local and over TCP",
  sanitizeResources: false,
  async fn() {
    await using p = await project(STACK);
    const dir = p.path;
    const orch = (args: string[], env: Record<string, string> = {}) =>
      runOrch(dir, args, env, { timeoutMs: 60_000 });
    const up = await orch(["up", "-d", "--listen", "127.0.0.1:0"]);
    assertEquals(up.code, 0, up.stderr);

    const failing = await orch(["exec", "--", "sh", "-c", "echo out; echo err >&2; exit 7"]);
    assertEquals(failing.code, 7, failing.stdout + failing.stderr);
    assertEquals(failing.stdout, "out\n");
    assertMatch(failing.stderr, /^err$/m);
    assertMatch(failing.stderr, /^orch: run 1 failed: exit code 7$/m);

    await Deno.mkdir(`${dir}/sub`);
    const here = await orch([
      "exec",
      "-e",
      "GREETING=hi",
      "--env",
      "ASIS",
      "--cwd",
      "sub",
      "--",
      "sh",
      "-c",
      'echo "$GREETING $ASIS $(pwd)"',
    ], { ASIS: "kept" });
    assertEquals(here.code, 0, here.stderr);
    assertEquals(here.stdout, `hi kept ${await Deno.realPath(`${dir}/sub`)}\n`);

    const slow = await orch(["exec", "--timeout", "300ms", "--", "sleep", "30"]);
    assertEquals(slow.code, 124, slow.stderr);
    assertMatch(slow.stderr, /timed out after 300ms/);

    const missing = await orch(["exec", "--", "no-such-program-here"]);
    assertEquals(missing.code, 127, missing.stderr);

    // Recorded: the runs of @exec, a run's task with its exit code, its output in the task's log.
    const runs = JSON.parse((await orch(["runs", "@exec", "--json"])).stdout).runs;
    assertEquals(runs.map((r: { id: number; status: string }) => [r.id, r.status]), [
      [4, "failed"],
      [3, "failed"],
      [2, "succeeded"],
      [1, "failed"],
    ]);
    assertMatch(runs[3].trigger.detail, /^exec: sh -c 'echo out; echo err >&2; exit 7'$/);
    const shown = JSON.parse((await orch(["run", "show", "1", "--json"])).stdout);
    assertEquals(shown.tasks[0].exit, { code: 7, signal: null });
    assertMatch(await Deno.readTextFile(shown.tasks[0].logPath), /"msg":"out"/);
    const logged = await orch(["logs", "--flow", "@exec", "--run", "1"]);
    assertMatch(logged.stdout, /out/, logged.stdout + logged.stderr);

    // orch run cancel stops it; its exit status is the signal's.
    const running = orch(["exec", "--", "sh", "-c", "echo started; exec sleep 600"]);
    await waitFor(
      async () => {
        const r = await orch(["runs", "@exec", "--status", "running", "--json"]);
        return JSON.parse(r.stdout).runs.length === 1;
      },
      "the exec run to be running",
      30_000,
      100,
    );
    assertEquals((await orch(["run", "cancel", "5"])).code, 0);
    const cancelled = await running;
    assertEquals(cancelled.code, 143, cancelled.stdout + cancelled.stderr);
    assertEquals(cancelled.stdout, "started\n");
    assertMatch(cancelled.stderr, /run 5 cancelled/);

    // Over TCP: the admin token runs it, the read-only one is refused.
    const { listen } = runFile(dir) as { listen?: string };
    assert(listen, "the run file names the TCP listener");
    const tokens = JSON.parse(await Deno.readTextFile(`${dir}/.orch/tokens.json`));
    const elsewhere = await Deno.makeTempDir({ prefix: "orch-remote-" });
    try {
      const remote = (args: string[], token: string) =>
        runOrch(elsewhere, ["--host", listen!, "--token", token, ...args], {}, {
          timeoutMs: 60_000,
        });
      const refused = await remote(["exec", "--", "echo", "no"], tokens.readOnly);
      assert(refused.code !== 0 && refused.code !== 127, refused.stderr);
      assertMatch(refused.stderr, /read-only/);
      const far = await remote(["exec", "--", "sh", "-c", "pwd; exit 3"], tokens.admin);
      assertEquals(far.code, 3, far.stderr);
      // Remote, with no --cwd: the orch's project directory.
      assertEquals(far.stdout, `${await Deno.realPath(dir)}\n`);
    } finally {
      await Deno.remove(elsewhere, { recursive: true });
    }
    assertEquals(JSON.parse((await orch(["runs", "@exec", "--json"])).stdout).runs.length, 6);
  },
});

Deno.test({
  name: "orch exec with no orch running runs the command here, recorded in the project's history",
  sanitizeResources: false,
  async fn() {
    await using p = await project(STACK);
    const result = await runOrch(p.path, ["exec", "--", "sh", "-c", "echo here; exit 3"], {}, {
      timeoutMs: 60_000,
    });
    assertEquals(result.code, 3, result.stderr);
    assertEquals(result.stdout, "here\n");
    const store = new SqliteHistory(`${p.path}/.orch/history.db`);
    try {
      const [run] = store.runs({ flow: "@exec" }).runs;
      assertEquals([run.status, run.trigger.detail], ["failed", "exec: sh -c 'echo here; exit 3'"]);
      assertEquals(store.tasks(run.id)[0].exit, { code: 3, signal: null });
    } finally {
      store.close();
    }
    // The history is free again: orch up takes it, and lists the run.
    const up = await runOrch(p.path, ["up", "-d"], {}, { timeoutMs: 60_000 });
    assertEquals(up.code, 0, up.stderr);
    const runs = await runOrch(p.path, ["runs", "@exec"], {}, { timeoutMs: 60_000 });
    assertMatch(runs.stdout, /^1 +@exec +failed +manual: exec: sh -c/m);
  },
});
