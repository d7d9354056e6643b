import { assert, assertEquals, assertMatch } from "../assert.ts";
import { runOrch } from "../../src/testing/cli.ts";
import { tempDir } from "../../src/testing/recorder.ts";
import { launcherFor } from "../../src/cli/install.ts";

async function run(program: string, args: string[]): Promise<{ code: number; out: string }> {
  const out = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, out: text };
}

Deno.test("orch install puts a working orch and entrypoint into --dir, again and again", async () => {
  await using dir = await tempDir();
  const first = await runOrch(dir.path, ["install", "--dir", dir.path]);
  assertEquals(first.code, 0, first.stderr);
  assertMatch(first.stdout, new RegExp(`installed ${dir.path}/orch .* and ${dir.path}/entrypoint`));
  for (const name of ["orch", "entrypoint"]) {
    const version = await run(`${dir.path}/${name}`, ["--version"]);
    assertEquals(version.code, 0, version.out);
    assertMatch(version.out, /^orch \d+\.\d+\.\d+\n$/);
  }
  assertEquals(Deno.readLinkSync(`${dir.path}/entrypoint`), "orch");
  const again = await runOrch(dir.path, ["install", "--dir", dir.path]);
  assertEquals(again.code, 0, again.stderr);
  assertEquals([...Deno.readDirSync(dir.path)].map((e) => e.name).sort(), ["entrypoint", "orch"]);
});

Deno.test("orch install leaves someone else's orch alone unless --force", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/orch`, "#!/bin/sh\necho not orch\n");
  const refused = await runOrch(dir.path, ["install", "--dir", dir.path]);
  assertEquals(refused.code, 1);
  assertMatch(
    refused.stderr,
    /orch: cannot install: .*\/orch exists and is not orch's \(use --force\)/,
  );
  assertEquals(await Deno.readTextFile(`${dir.path}/orch`), "#!/bin/sh\necho not orch\n");
  const forced = await runOrch(dir.path, ["install", "--dir", dir.path, "--force"]);
  assertEquals(forced.code, 0, forced.stderr);
  assertEquals((await run(`${dir.path}/orch`, ["--version"])).code, 0);
  const missing = await runOrch(dir.path, ["install", "--dir", `${dir.path}/nope`]);
  assertEquals(missing.code, 1);
  assertMatch(missing.stderr, /cannot install into .*\/nope: no such directory/);
});

Deno.test("the launcher quotes every word of the command it runs", () => {
  const text = launcherFor(["/usr/bin/deno", "run", "-A", "/opt/it's here/orch.js"]);
  assert(text.startsWith("#!/bin/sh\n"));
  assertMatch(text, /exec '\/usr\/bin\/deno' 'run' '-A' '\/opt\/it'"'"'s here\/orch\.js' "\$@"\n$/);
});
