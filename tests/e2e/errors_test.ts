/**
 * Ordinary mistakes end in one line naming what failed and what to do, with exit 1 or 2; only a
 * bug in orch exits 70 with a stack trace.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { MAIN, runOrch } from "../../src/testing/cli.ts";
import { tempDir } from "../../src/testing/recorder.ts";

const STACK = `services:\n  s: { command: "exec sleep 60" }\n`;

/** The one-line message of an ordinary error: no stack trace, no "internal error". */
function assertOneLine(stderr: string) {
  assertEquals(stderr.trim().split("\n").length, 1, stderr);
  assert(!/internal error|\n\s+at /.test(stderr), stderr);
}

Deno.test("an unknown command is named, with the nearest command; exit 2", async () => {
  await using dir = await tempDir();
  const typo = await runOrch(dir.path, ["stauts"]);
  assertEquals(typo.code, 2);
  assertEquals(typo.stderr, 'orch: unknown command "stauts" (did you mean "status"?)\n');
  for (const word of ["frobnicate"]) {
    const unknown = await runOrch(dir.path, [word]);
    assertEquals(unknown.code, 2, word);
    assertEquals(
      unknown.stderr,
      `orch: unknown command "${word}" (orch --help lists the commands)\n`,
    );
  }
  // After a global option and its value, too.
  const after = await runOrch(dir.path, ["--host", "127.0.0.1:1", "lgs"]);
  assertEquals([after.code, after.stderr], [
    2,
    'orch: unknown command "lgs" (did you mean "logs"?)\n',
  ]);
});

Deno.test("--listen on a port in use: one line and exit 1, nothing left behind", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/stack.yaml`, STACK);
  using held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (held.addr as Deno.NetAddr).port;
  const run = await runOrch(dir.path, ["up", "--no-tui", "--listen", `127.0.0.1:${port}`]);
  assertEquals(run.code, 1, run.stderr);
  assertOneLine(run.stderr);
  assertMatch(
    run.stderr,
    new RegExp(
      `^orch: cannot listen on 127\\.0\\.0\\.1:${port}: address in use \\(is another orch or ` +
        `program using it\\? pick another --listen port\\)\\n$`,
    ),
  );
  let left = true;
  try {
    await Deno.stat(`${dir.path}/.orch/orch.json`);
  } catch {
    left = false;
  }
  assert(!left, "no run file is left");
});

Deno.test("a permission deno run was not given: one line naming the flag, exit 2", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/stack.yaml`, STACK);
  const run = async (flags: string[], args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...flags, MAIN, ...args],
      cwd: dir.path,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  };
  const noRun = await run(
    ["--allow-read", "--allow-write", "--allow-env", "--allow-sys", "--allow-net"],
    ["up", "--no-tui"],
  );
  assertEquals(noRun.code, 2, noRun.stderr);
  assertEquals(
    noRun.stderr,
    "orch: orch was not given --allow-run (needed to start services); run it with deno run -A, " +
      "or add --allow-run\n",
  );
  // A permission found missing on first use (here: the control socket).
  const noNet = await run(
    ["--allow-read", "--allow-write", "--allow-env", "--allow-sys", "--allow-run"],
    ["up", "--no-tui"],
  );
  assertEquals(noNet.code, 2, noNet.stderr);
  assertOneLine(noNet.stderr);
  assertMatch(noNet.stderr, /^orch: orch was not given --allow-net .*add --allow-net\n$/);
  // The fast path (a command that talks to a running orch) says the same.
  const status = await run([], ["status"]);
  assertEquals(status.code, 2, status.stderr);
  assertMatch(status.stderr, /^orch: orch was not given --allow-(read|env) /);
});
