/**
 * Losing the terminal: a closed window or a dropped SSH session under `orch up` with the TUI is a
 * hangup, and orch stops the stack in order, as on SIGHUP, instead of crashing on the dead
 * terminal.
 */
import { assert, assertEquals } from "../assert.ts";
import { MAIN, runOrch } from "../../src/testing/cli.ts";
import { processAlive, tempDir } from "../../src/testing/recorder.ts";
import { HAS_TMUX, terminal } from "../../src/testing/tmux.ts";
import { waitFor } from "../../src/testing/deadline.ts";

if (!HAS_TMUX) console.error("tests/e2e/hangup_test.ts: SKIPPED: tmux is not installed");

// `a` depends on `b`: an ordered shutdown stops `a` first. Each says when it got SIGTERM.
const STACK = `
services:
  b:
    command: "trap 'echo b-term; exit 0' TERM; while true; do sleep 0.1; done"
    postScript: "echo post-b >> marker"
  a:
    command: "trap 'echo a-term; exit 0' TERM; while true; do sleep 0.1; done"
    dependsOn: [b]
`;

const until = (what: string, test: () => boolean | Promise<boolean>) =>
  waitFor(test, what, 20_000, 50);

const exists = async (path: string) => {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
};

Deno.test({
  name: "closing the terminal under orch up (TUI) stops the stack in order and cleans up",
  ignore: !HAS_TMUX,
  async fn() {
    await using dir = await tempDir();
    await Deno.writeTextFile(`${dir.path}/stack.yaml`, STACK);
    await using term = await terminal(dir.path, `${Deno.execPath()} run -A ${MAIN} up`);
    await term.waitFor("the table", (t) => /a\s+ready/.test(t) && /b\s+ready/.test(t));
    const { pid } = JSON.parse(await Deno.readTextFile(`${dir.path}/.orch/orch.json`));
    const status = JSON.parse((await runOrch(dir.path, ["status", "--json"])).stdout);
    const pids: number[] = status.instances.map((i: { pid: number }) => i.pid);
    assertEquals(pids.length, 2);

    await term.killPane();
    await until("orch to exit", () => !processAlive(pid));
    assert(!await exists(`${dir.path}/.orch/orch.json`), "no run file is left");
    for (const p of pids) assert(!processAlive(p), `service process ${p} is gone`);
    // The services were stopped in order (a before b), gracefully: each saw its SIGTERM.
    const records = (await Deno.readTextFile(`${dir.path}/.orch/logs/orch.ndjson`)).trim()
      .split("\n").map((l) => JSON.parse(l));
    const seqOf = (msg: string) => records.find((r) => r.msg === msg)?.seq ?? -1;
    assert(seqOf("a-term") > 0 && seqOf("b-term") > 0, "both services got SIGTERM");
    assert(seqOf("a-term") < seqOf("b-term"), "a (the dependent) stopped before b");
    assert(seqOf("a stopped") < seqOf("b stopping"), "b was stopped only once a had stopped");
    assert(
      records.some((r) => /^the terminal is gone .*: stopping$|^SIGHUP: stopping$/.test(r.msg)),
      "orch said why it stopped, in the persisted log",
    );
    // Post scripts run at shutdown too (the engine's part: see the report if this fails alone).
    await until("b's post script to write its marker", () => exists(`${dir.path}/marker`));
    assertEquals(await Deno.readTextFile(`${dir.path}/marker`), "post-b\n");
  },
});

Deno.test("a closed stdout under orch up --no-tui stops the stack in order, without a crash", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir.path}/stack.yaml`,
    `services:\n  t:\n    command: "trap 'echo t-term; exit 0' TERM; ` +
      `while true; do echo tick; sleep 0.05; done"\n`,
  );
  // `orch up | head`: the reader leaves after the service's first line (its trap is set by then),
  // and orch's next write meets a closed pipe.
  const child = new Deno.Command("sh", {
    args: [
      "-c",
      `'${Deno.execPath()}' run -A '${MAIN}' up --no-tui 2>stderr.txt | sed -n '/| tick/{p;q;}'`,
    ],
    cwd: dir.path,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const deadline = setTimeout(async () => {
    // orch did not end: stop it, so that the test fails instead of hanging.
    const run = JSON.parse(await Deno.readTextFile(`${dir.path}/.orch/orch.json`));
    Deno.kill(run.pid, "SIGKILL");
  }, 20_000);
  const out = await child.output();
  clearTimeout(deadline);
  const stderr = await Deno.readTextFile(`${dir.path}/stderr.txt`);
  assertEquals(out.code, 0, stderr);
  assertEquals(new TextDecoder().decode(out.stdout), "t   | tick\n");
  assertEquals(stderr, "", "no uncaught error");
  const records = (await Deno.readTextFile(`${dir.path}/.orch/logs/orch.ndjson`)).trim()
    .split("\n").map((l) => JSON.parse(l));
  assert(records.some((r) => r.msg === "t-term"), "the service was stopped gracefully");
  assert(!await exists(`${dir.path}/.orch/orch.json`), "no run file is left");
});

Deno.test("orch logs -f ends when its reader leaves (orch logs -f | head)", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir.path}/stack.yaml`,
    `services:\n  t: { command: "while true; do echo tick; sleep 0.05; done" }\n`,
  );
  assertEquals((await runOrch(dir.path, ["up", "-d", "--wait"])).code, 0);
  try {
    const out = await new Deno.Command("sh", {
      // orch's stderr to a file: were it to outlive sh, it would hold this test's pipe open.
      args: ["-c", `'${Deno.execPath()}' run -A '${MAIN}' logs -f 2>err.txt | head -3`],
      cwd: dir.path,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(20_000),
    }).output();
    assertEquals(out.code, 0, "orch logs -f kept going after head left");
    assertEquals(new TextDecoder().decode(out.stdout), "t   | tick\n".repeat(3));
  } finally {
    await runOrch(dir.path, ["down"]);
  }
});
