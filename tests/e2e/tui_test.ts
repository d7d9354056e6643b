/**
 * The TUI end to end: `orch up` in a real terminal (tmux), driven with send-keys and read with
 * capture-pane.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { processAlive, tempDir } from "../../src/testing/recorder.ts";

const main = new URL("../../main.ts", import.meta.url).pathname;
const hasTmux = new Deno.Command("sh", { args: ["-c", "command -v tmux"], stdout: "null" })
  .outputSync().success;
if (!hasTmux) console.error("tests/e2e/tui_test.ts: SKIPPED: tmux is not installed");

async function tmux(server: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("tmux", {
    args: ["-L", server, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) {
    throw new Error(`tmux ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

Deno.test({
  name: "orch up in a terminal: live table, filter, restart, send, quit restores the terminal",
  ignore: !hasTmux,
  async fn() {
    await using dir = await tempDir();
    await Deno.writeTextFile(
      `${dir.path}/stack.yaml`,
      `services:
  echo:
    command: "while read line; do echo \\"got $line\\"; done"
  ticker:
    command: "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done"
    dependsOn: [echo]
  setup:
    kind: oneshot
    command: "echo setting up"
`,
    );
    const server = `orch-test-${crypto.randomUUID().slice(0, 8)}`;
    await tmux(
      server,
      "new-session",
      "-d",
      "-x",
      "120",
      "-y",
      "32",
      "-s",
      "orch",
      `cd ${dir.path} && ${Deno.execPath()} run -A ${main} up; echo EXITED $?; sleep 600`,
    );
    const screen = () => tmux(server, "capture-pane", "-p", "-t", "orch");
    const waitFor = async (what: string, test: (text: string) => boolean) => {
      const deadline = Date.now() + 20_000;
      let text = "";
      while (Date.now() < deadline) {
        text = await screen();
        if (test(text)) return text;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${what}; the screen:\n${text}`);
    };
    const keys = (...k: string[]) => tmux(server, "send-keys", "-t", "orch", ...k);
    try {
      let text = await waitFor(
        "the table",
        (t) => /ticker\s+ready/.test(t) && /setup\s+completed/.test(t),
      );
      assertMatch(text, /SERVICE\s+STATE\s+READY\s+REPL\s+RESTARTS\s+AGE\s+CPU\s+MEM\s+MESSAGE/);
      assertEquals(await tmux(server, "display", "-p", "-t", "orch", "#{alternate_on}"), "1\n");
      // A resize redraws at the new size: the footer moves to the new last row.
      await tmux(server, "resize-window", "-t", "orch", "-x", "90", "-y", "20");
      await waitFor("the redraw", (t) => {
        const rows = t.split("\n");
        return rows.length >= 20 && rows[19].startsWith(" q quit") && /ticker\s+ready/.test(t);
      });
      const pids = JSON.parse(
        new TextDecoder().decode(
          (await new Deno.Command(Deno.execPath(), {
            args: ["run", "-A", main, "status", "--json"],
            cwd: dir.path,
            stdout: "piped",
          }).output()).stdout,
        ),
      ).instances.flatMap((i: { pid?: number }) => (i.pid ? [i.pid] : []));
      assertEquals(pids.length, 2);

      // Filter the log pane.
      await keys("/", "tick [0-9]", "Enter");
      text = await waitFor("the filter", (t) => t.includes("filter /tick [0-9]/"));
      const lines = text.split("\n");
      const pane = lines.slice(lines.findIndex((l) => l.includes("filter /tick [0-9]/")) + 1)
        .filter((l) => l.includes("│"));
      assert(pane.length > 0 && pane.every((l) => /ticker\s+│ tick \d+/.test(l)), pane.join("\n"));
      await keys("Escape");

      // Restart the ticker (second row).
      await keys("j", "r");
      await waitFor("the restart", (t) => /ticker\s+ready\s+true\s+1\/1\s+1\s/.test(t));

      // Send a line to echo's stdin.
      await keys("k", "i");
      await waitFor("the input line", (t) => t.includes("to echo stdin"));
      await keys("hello tui", "Enter");
      await waitFor("the echo", (t) => /echo\s+│ got hello tui/.test(t));

      // Quit, stopping the stack.
      await keys("q");
      await waitFor("the question", (t) => t.includes("stop the stack and quit?"));
      await keys("y");
      text = await waitFor("orch to exit", (t) => t.includes("EXITED 0"));
      assertEquals(await tmux(server, "display", "-p", "-t", "orch", "#{alternate_on}"), "0\n");
      assertEquals(await tmux(server, "display", "-p", "-t", "orch", "#{cursor_flag}"), "1\n");
      for (const pid of pids) assert(!processAlive(pid), `service process ${pid} is gone`);
    } finally {
      await tmux(server, "kill-server").catch(() => "");
    }
  },
});

/** Starts a tmux server running `command`; returns helpers and a disposer. */
async function terminal(cwd: string, command: string) {
  const server = `orch-test-${crypto.randomUUID().slice(0, 8)}`;
  await tmux(
    server,
    "new-session",
    "-d",
    "-x",
    "100",
    "-y",
    "24",
    "-s",
    "t",
    `cd ${cwd} && ${command}; echo EXITED $?; sleep 600`,
  );
  const screen = () => tmux(server, "capture-pane", "-p", "-t", "t");
  return {
    screen,
    keys: (...k: string[]) => tmux(server, "send-keys", "-t", "t", ...k),
    alternate: async () =>
      (await tmux(server, "display", "-p", "-t", "t", "#{alternate_on}")).trim(),
    async waitFor(what: string, test: (text: string) => boolean) {
      const deadline = Date.now() + 20_000;
      let text = "";
      while (Date.now() < deadline) {
        text = await screen();
        if (test(text)) return text;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${what}; the screen:\n${text}`);
    },
    async [Symbol.asyncDispose]() {
      await tmux(server, "kill-server").catch(() => "");
    },
  };
}

async function runOrch(cwd: string, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

Deno.test({
  name: "a SIGTERM while the TUI is open stops the stack and restores the terminal",
  ignore: !hasTmux,
  async fn() {
    await using dir = await tempDir();
    await Deno.writeTextFile(
      `${dir.path}/stack.yaml`,
      `services:\n  s: { command: "exec sleep 60" }\n`,
    );
    await using term = await terminal(dir.path, `${Deno.execPath()} run -A ${main} up`);
    await term.waitFor("the table", (t) => /[›\s]s\s+ready\s+true/.test(t));
    const { pid } = JSON.parse(await Deno.readTextFile(`${dir.path}/.orch/orch.json`));
    Deno.kill(pid, "SIGTERM");
    await term.waitFor("orch to exit", (t) => t.includes("EXITED 0"));
    assertEquals(await term.alternate(), "0");
  },
});

Deno.test({
  name: "orch attach opens the TUI on a background stack; q leaves the stack running",
  ignore: !hasTmux,
  async fn() {
    await using dir = await tempDir();
    await Deno.writeTextFile(
      `${dir.path}/stack.yaml`,
      `services:\n  s: { command: "exec sleep 60" }\n`,
    );
    assertEquals((await runOrch(dir.path, "up", "-d", "--wait")).code, 0);
    try {
      await using term = await terminal(dir.path, `${Deno.execPath()} run -A ${main} attach`);
      await term.waitFor("the table", (t) => /[›\s]s\s+ready\s+true/.test(t));
      await term.keys("q");
      await term.waitFor("attach to exit", (t) => t.includes("EXITED 0"));
      assertEquals(await term.alternate(), "0");
      assertMatch((await runOrch(dir.path, "status")).stdout, /\ns\s+ready/);
    } finally {
      await runOrch(dir.path, "down");
    }
  },
});
