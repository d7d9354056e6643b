/**
 * `deno task orch ...` runs orch in the directory it was called from (deno task itself runs tasks
 * from the directory of deno.json, and says where it was called from in INIT_CWD).
 */
import { assertEquals, assertMatch } from "../assert.ts";
import { runOrch } from "../../src/testing/cli.ts";
import { tempDir } from "../../src/testing/recorder.ts";

const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

async function task(cwd: string, ...args: string[]) {
  // As from a shell: a deno task around the tests (deno task test) would hand down its own
  // INIT_CWD, which deno task keeps, as npm does.
  const env: Record<string, string> = { ...Deno.env.toObject(), NO_COLOR: "1" };
  delete env.INIT_CWD;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "--config", CONFIG, "orch", ...args],
    cwd,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test("deno task orch status works from the directory of a running stack", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir.path}/stack.yaml`,
    `stack: { name: tasked }\nservices:\n  s: { command: "exec sleep 60" }\n`,
  );
  const up = await task(dir.path, "up", "-d", "--wait");
  assertEquals(up.code, 0, up.stdout + up.stderr);
  try {
    const status = await task(dir.path, "status");
    assertEquals(status.code, 0, status.stderr);
    assertMatch(status.stdout, /^tasked {2}running/);
    assertMatch(status.stdout, /\ns\s+ready\s+true/);
    // Plain orch does not look at INIT_CWD: it runs where it is started.
    const plain = await runOrch(dir.path, ["status"], { INIT_CWD: "/" });
    assertEquals(plain.code, 0, plain.stderr);
  } finally {
    const down = await task(dir.path, "down");
    assertEquals(down.code, 0, down.stderr);
    assertMatch(down.stdout, /tasked is down/);
  }
});

Deno.test("orch status from a directory above the one running stack finds it; two are named", async () => {
  await using dir = await tempDir();
  const stack = (name: string) =>
    `stack: { name: ${name} }\nservices:\n  s: { command: "exec sleep 60" }\n`;
  for (const name of ["demo", "other"]) {
    await Deno.mkdir(`${dir.path}/examples/${name}`, { recursive: true });
    await Deno.writeTextFile(`${dir.path}/examples/${name}/stack.yaml`, stack(name));
  }
  // As the README runs the demo: from the repository's root, with -f.
  const up = await task(dir.path, "up", "-d", "--wait", "-f", "examples/demo/stack.yaml");
  assertEquals(up.code, 0, up.stdout + up.stderr);
  try {
    const status = await task(dir.path, "status");
    assertEquals(status.code, 0, status.stderr);
    assertMatch(status.stdout, /^demo {2}running/);
    const other = await runOrch(`${dir.path}/examples/other`, ["up", "-d", "--wait"]);
    assertEquals(other.code, 0, other.stderr);
    try {
      const two = await task(dir.path, "status");
      assertEquals(two.code, 2, two.stdout);
      assertMatch(two.stderr, /several run below it: .*examples\/demo, .*examples\/other/);
    } finally {
      assertEquals((await runOrch(`${dir.path}/examples/other`, ["down"])).code, 0);
    }
  } finally {
    const down = await task(dir.path, "down");
    assertEquals(down.code, 0, down.stderr);
    assertMatch(down.stdout, /demo is down/);
  }
  // Once down, nothing is found below any more (its entry went with it).
  const none = await task(dir.path, "status");
  assertEquals(none.code, 1, none.stdout);
});
