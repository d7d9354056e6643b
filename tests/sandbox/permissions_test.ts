/**
 * Sandboxed runs: orch under the narrowest permissions the README gives for each command, and with
 * one permission taken away at a time, which must end with one line naming the flag (exit 2),
 * never a stack trace, and before anything was started or written.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { MAIN, orchArgv, runOrch } from "../../src/testing/cli.ts";
import { freePort } from "../../src/testing/net.ts";
import { tempDir } from "../../src/testing/recorder.ts";

const ALL = [
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-env",
  "--allow-run",
  "--allow-sys",
  "--allow-ffi",
  "--allow-import",
];

/** Runs orch with exactly `flags` (never -A). */
async function sandboxed(cwd: string, flags: string[], args: string[]) {
  // A compiled binary carries its own permissions: these tests need `deno run`.
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...flags, MAIN, ...args],
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** One line on stderr, starting `orch:`, with no stack frame in it. */
function assertOneLine(stderr: string, pattern: RegExp) {
  const lines = stderr.trimEnd().split("\n");
  assertEquals(lines.length, 1, stderr);
  assertMatch(lines[0], /^orch: /);
  assertMatch(lines[0], pattern);
  assert(!/\bat .*:\d+:\d+/.test(stderr), stderr);
}

const STACK = `services:\n  hello: { kind: oneshot, command: "echo hello" }\n`;

Deno.test("validate runs with --allow-read of the project and --allow-env, and names either when missing", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/stack.yaml`, STACK);
  const narrow = [`--allow-read=${dir.path}`, "--allow-env"];
  const ok = await sandboxed(dir.path, narrow, ["validate", "-q"]);
  assertEquals(ok.code, 0, ok.stderr);
  const noRead = await sandboxed(dir.path, ["--allow-env"], ["validate"]);
  assertEquals(noRead.code, 2);
  assertOneLine(
    noRead.stderr,
    new RegExp(`not given --allow-read for ${dir.path} \\(validate needs it`),
  );
  const noEnv = await sandboxed(dir.path, [`--allow-read=${dir.path}`], ["validate"]);
  assertEquals(noEnv.code, 2);
  assertOneLine(noEnv.stderr, /not given --allow-env \(validate needs it/);
});

Deno.test("up runs with every permission, and without any one of them says so in one line", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/stack.yaml`, STACK);
  const full = await sandboxed(dir.path, ALL, ["up", "--no-tui"]);
  assertEquals(full.code, 0, full.stderr);
  assertMatch(full.stdout, /hello +\| hello/);
  await Deno.remove(`${dir.path}/.orch`, { recursive: true });
  const results = await Promise.all(
    ALL.map((flag) => sandboxed(dir.path, ALL.filter((f) => f !== flag), ["up", "--no-tui"])),
  );
  for (const [i, result] of results.entries()) {
    assertEquals(result.code, 2, `without ${ALL[i]}: ${result.stderr}`);
    const named = ALL[i] === "--allow-read"
      ? new RegExp(`not given --allow-read for ${dir.path} \\(up needs it`)
      : ALL[i] === "--allow-env"
      ? /not given --allow-env \(up needs it/
      : ALL[i] === "--allow-run"
      ? /not given --allow-run \(needed to start services\)/
      : new RegExp(`not given ${ALL[i]} \\(up needs it to watch its processes.*reads /proc only`);
    assertOneLine(result.stderr, named);
    assertEquals(result.stdout, "", "nothing was started");
  }
  // -A with a deny flag is not every permission either.
  const denied = await sandboxed(dir.path, ["-A", "--deny-net=192.0.2.1"], ["up", "--no-tui"]);
  assertEquals(denied.code, 2, denied.stderr);
  assertOneLine(denied.stderr, /not given -A without any --deny-\* \(up needs it/);
  assert(!(await Deno.stat(`${dir.path}/.orch`).catch(() => undefined)), "no .orch/ written");
});

Deno.test("client commands: a local orch takes every permission; --host takes only net and env", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir.path}/stack.yaml`,
    `services:\n  s: { command: "exec sleep 300" }\n`,
  );
  const port = freePort();
  const started = await runOrch(dir.path, ["up", "-d", "--listen", `127.0.0.1:${port}`]);
  assertEquals(started.code, 0, started.stderr);
  try {
    const local = await sandboxed(dir.path, [`--allow-read=${dir.path}`, "--allow-env"], [
      "status",
    ]);
    assertEquals(local.code, 2);
    assertOneLine(
      local.stderr,
      /not given --allow-\w+ \(status needs it to tell a running orch from a stale run file/,
    );
    // The refusal left the running orch's run file alone.
    assert(await Deno.stat(`${dir.path}/.orch/orch.json`), "run file kept");
    const tokens = JSON.parse(await Deno.readTextFile(`${dir.path}/.orch/tokens.json`));
    const remote = await sandboxed(
      dir.path,
      [`--allow-net=127.0.0.1:${port}`, "--allow-env"],
      ["status", "--host", `127.0.0.1:${port}`, "--token", tokens.readOnly],
    );
    assertEquals(remote.code, 0, remote.stderr);
    assertMatch(remote.stdout, /^s +running|\ns +(running|ready)/);
  } finally {
    const [program, ...rest] = orchArgv();
    await new Deno.Command(program, { args: [...rest, "down"], cwd: dir.path, stdout: "null" })
      .output();
  }
});
