/**
 * A service's escape sequences do not reach the terminal through `orch up` or `orch logs`: only
 * colours do (or everything, with --raw). Checked on a real pseudo-terminal (util-linux `script`).
 */
import { assert, assertEquals } from "../assert.ts";
import { MAIN, runOrch } from "../../src/testing/cli.ts";
import { tempDir } from "../../src/testing/recorder.ts";

const hasScript = new Deno.Command("sh", { args: ["-c", "command -v script"], stdout: "null" })
  .outputSync().success;
if (!hasScript) console.error("tests/e2e/escapes_test.ts: SKIPPED: util-linux script is missing");

// Window title (OSC 0), clipboard (OSC 52), clear screen, cursor moves, an 8-bit CSI, a lone ESC.
const EVIL = String.raw`printf 'A\033]0;pwned\007B\033]52;c;aGVsbG8=\007C\033[2J\033[HD\033[5;5HE` +
  String.raw`\302\2332JFG \033[31mred\033[0m done\033\n'`;

const FORBIDDEN: [string, string][] = [
  ["OSC 0", "\x1b]0;"],
  ["OSC 52", "\x1b]52;"],
  ["CSI 2J", "\x1b[2J"],
  ["CSI H", "\x1b[H"],
  ["CSI 5;5H", "\x1b[5;5H"],
  ["8-bit CSI", "\u009b"],
];

/** Runs orch ARGS on a pseudo-terminal and returns what reached it. */
async function onTerminal(cwd: string, args: string[]): Promise<string> {
  const command = [Deno.execPath(), "run", "-A", MAIN, ...args].map((a) => `'${a}'`).join(" ");
  const env: Record<string, string> = { ...Deno.env.toObject(), TERM: "xterm-256color" };
  delete env.NO_COLOR;
  const out = await new Deno.Command("script", {
    args: ["-q", "-e", "-c", command, "/dev/null"],
    cwd,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0, text + new TextDecoder().decode(out.stderr));
  return text;
}

function assertClean(what: string, text: string) {
  for (const [name, seq] of FORBIDDEN) {
    assert(!text.includes(seq), `${what}: ${name} reached the terminal:\n${JSON.stringify(text)}`);
  }
  assert(
    text.includes("ABCDEFG"),
    `${what}: the text around the escapes is kept:\n${JSON.stringify(text)}`,
  );
  assert(
    text.includes("\x1b[31mred\x1b[0m"),
    `${what}: colours are kept:\n${JSON.stringify(text)}`,
  );
}

Deno.test({
  name:
    "orch up and orch logs on a terminal strip a service's escapes but colours; --raw keeps them",
  ignore: !hasScript,
  async fn() {
    await using dir = await tempDir();
    await Deno.writeTextFile(
      `${dir.path}/stack.yaml`,
      `services:\n  evil: { kind: oneshot, command: ${JSON.stringify(EVIL)} }\n`,
    );
    assertClean("orch up", await onTerminal(dir.path, ["up", "--no-tui"]));
    await Deno.writeTextFile(
      `${dir.path}/stack.yaml`,
      `services:\n  evil: { command: ${JSON.stringify(`${EVIL}; exec sleep 60`)} }\n`,
    );
    assertEquals((await runOrch(dir.path, ["up", "-d", "--wait"])).code, 0);
    try {
      assertClean("orch logs", await onTerminal(dir.path, ["logs"]));
      const raw = await onTerminal(dir.path, ["logs", "--raw"]);
      assert(raw.includes("\x1b]52;c;aGVsbG8=\x07"), "--raw passes the bytes as they are");
      // Into a pipe or a file, the text is kept as the service wrote it.
      const piped = await runOrch(dir.path, ["logs"]);
      assert(piped.stdout.includes("\x1b]0;pwned\x07B"), JSON.stringify(piped.stdout));
    } finally {
      await runOrch(dir.path, ["down"]);
    }
  },
});
