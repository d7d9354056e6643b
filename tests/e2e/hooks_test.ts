/**
 * Hooks end to end: a real `orch up` stopped by a signal runs every post script before it exits.
 */
import { assertEquals, assertMatch } from "../assert.ts";
import { tempDir } from "../../src/testing/recorder.ts";
import { MAIN } from "../../src/testing/cli.ts";
import { readToEnd, readUntil } from "../../src/testing/deadline.ts";

Deno.test("orch up stopped by SIGTERM runs pos_script to its end before it exits", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir.path}/services.toml`,
    `[timeouts]
post_script_timeout = 10

[[services]]
name = "app"
command = "sleep 300"
pos_script = "sh -c 'sleep 0.5; echo cleaned > post.txt'"
`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "up", "--no-tui"],
    cwd: dir.path,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = await readUntil(reader, (t) => /app ready/.test(t), "app ready", { ms: 20_000 });
  child.kill("SIGTERM");
  text = await readToEnd(reader, "orch to end after SIGTERM", { text });
  const status = await child.status;
  await child.stderr.cancel();
  assertEquals(status.code, 0, text);
  assertEquals(await Deno.readTextFile(`${dir.path}/post.txt`).catch(() => "missing"), "cleaned\n");
  assertMatch(text, /app\s+stopped/);
});
