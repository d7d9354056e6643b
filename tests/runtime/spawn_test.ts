/** Finding a service's program on its PATH, with the lookups remembered for a fan-out. */
import { assertEquals } from "../assert.ts";
import { findProgram } from "../../src/runtime/process/mod.ts";

async function executable(path: string): Promise<void> {
  await Deno.writeTextFile(path, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
}

Deno.test("a program is found on PATH, and a remembered one that went away is not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "orch-path-" });
  try {
    await Deno.mkdir(`${dir}/a`);
    await Deno.mkdir(`${dir}/b`);
    const env = { PATH: `${dir}/a:${dir}/b` };
    assertEquals(findProgram("tool", dir, env), undefined, "nowhere yet");
    await executable(`${dir}/b/tool`);
    assertEquals(findProgram("tool", dir, env), `${dir}/b/tool`);
    // Asked again at once (as a fan-out does): the same answer.
    assertEquals(findProgram("tool", dir, env), `${dir}/b/tool`);
    await Deno.remove(`${dir}/b/tool`);
    assertEquals(findProgram("tool", dir, env), undefined, "removed: checked on use");
    await executable(`${dir}/a/tool`);
    assertEquals(findProgram("tool", dir, env), `${dir}/a/tool`);
    // Another PATH is another lookup.
    assertEquals(findProgram("tool", dir, { PATH: `${dir}/b` }), undefined);
    // Not executable: not a program.
    await Deno.writeTextFile(`${dir}/b/plain`, "x", { mode: 0o644 });
    assertEquals(findProgram("plain", dir, { PATH: `${dir}/b` }), undefined);
    // A path is taken as it is, relative to cwd.
    assertEquals(findProgram("./a/tool", dir, env), `${dir}/./a/tool`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
