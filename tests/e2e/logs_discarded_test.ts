/**
 * `orch up --no-tui > /dev/null` builds no terminal text (nothing reads it) but persists every
 * line, whole and in order; with stdout a pipe, the merged stream is printed as before.
 */
import { assertEquals } from "../assert.ts";
import { orchArgv } from "../../src/testing/cli.ts";
import { tempDir } from "../../src/testing/recorder.ts";
import { isDevNull } from "../../src/cli/io.ts";

const LINES = 20_000;
const STACK = `
services:
  w:
    kind: oneshot
    command: "awk 'BEGIN { for (i = 1; i <= ${LINES}; i++) print \\"w \\" i }'"
`;

async function up(dir: string, stdout: "null" | "piped"): Promise<string> {
  const [cmd, ...args] = orchArgv();
  const out = await new Deno.Command(cmd, {
    args: [...args, "up", "--no-tui"],
    cwd: dir,
    stdout,
    stderr: "piped",
    stdin: "null",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return stdout === "piped" ? new TextDecoder().decode(out.stdout) : "";
}

function persisted(dir: string): string[] {
  return Deno.readTextFileSync(`${dir}/.orch/logs/orch.ndjson`).trim().split("\n")
    .map((l) => JSON.parse(l)).filter((r) => r.service === "w" && r.stream === "stdout")
    .map((r) => r.msg);
}

Deno.test("up with stdout on /dev/null persists every line", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/stack.yaml`, STACK);
  await up(dir.path, "null");
  assertEquals(persisted(dir.path), Array.from({ length: LINES }, (_, i) => `w ${i + 1}`));
});

Deno.test("up with stdout on a pipe prints the merged stream", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/stack.yaml`, STACK);
  const printed = (await up(dir.path, "piped")).split("\n").filter((l) => /^w\s+\| /.test(l));
  assertEquals(printed.length, LINES);
  assertEquals(persisted(dir.path).length, LINES);
});

Deno.test("isDevNull tells /dev/null from other files", async () => {
  const probe =
    `import { isDevNull } from ${
      JSON.stringify(new URL("../../src/cli/io.ts", import.meta.url).href)
    };` +
    `Deno.stderr.writeSync(new TextEncoder().encode(String(isDevNull("/proc/self/fd/1"))));`;
  for (const [stdout, want] of [["null", "true"], ["piped", "false"]] as const) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", probe],
      stdout,
      stderr: "piped",
    }).output();
    assertEquals(new TextDecoder().decode(out.stderr), want, `stdout ${stdout}`);
  }
  assertEquals(isDevNull("/proc/self/fd/999999"), false);
});
