/**
 * The TUI end to end: `orch up` in a real terminal (tmux), driven with send-keys and read with
 * capture-pane.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { MAIN as main, runOrch } from "../../src/testing/cli.ts";
import { ECHO_TICKER_STACK } from "../../src/testing/fixtures.ts";
import { processAlive, tempDir } from "../../src/testing/recorder.ts";

const hasTmux = new Deno.Command("sh", { args: ["-c", "command -v tmux"], stdout: "null" })
  .outputSync().success;
if (!hasTmux) console.error("tests/e2e/tui_test.ts: SKIPPED: tmux is not installed");

async function tmux(server: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("tmux", {
    args: ["-L", server, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`tmux ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** A tmux server of its own running `command` in `cwd`; killed on dispose. */
async function terminal(cwd: string, command: string, size = { width: 100, height: 24 }) {
  const server = `orch-test-${crypto.randomUUID().slice(0, 8)}`;
  await tmux(
    server,
    "new-session",
    "-d",
    "-x",
    String(size.width),
    "-y",
    String(size.height),
    "-s",
    "t",
    `cd ${cwd} && ${command}; echo EXITED $?; sleep 600`,
  );
  const screen = () => tmux(server, "capture-pane", "-p", "-t", "t");
  return {
    screen,
    keys: (...k: string[]) => tmux(server, "send-keys", "-t", "t", ...k),
    display: async (format: string) =>
      (await tmux(server, "display", "-p", "-t", "t", format)).trim(),
    resize: (width: number, height: number) =>
      tmux(server, "resize-window", "-t", "t", "-x", String(width), "-y", String(height)),
    /** Polls the screen until `test` holds, under one deadline. */
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

const up = `${Deno.execPath()} run -A ${main} up`;
const orch = (cwd: string, ...args: string[]) => runOrch(cwd, args);

Deno.test({
  name: "orch up in a terminal: live table, filter, restart, send, quit restores the terminal",
  ignore: !hasTmux,
  async fn() {
    await using dir = await tempDir();
    await Deno.writeTextFile(`${dir.path}/stack.yaml`, ECHO_TICKER_STACK);
    await using term = await terminal(dir.path, up, { width: 120, height: 32 });
    let text = await term.waitFor(
      "the table",
      (t) => /ticker\s+ready/.test(t) && /setup\s+completed/.test(t),
    );
    assertMatch(text, /SERVICE\s+STATE\s+READY\s+REPL\s+RESTARTS\s+AGE\s+CPU\s+MEM\s+MESSAGE/);
    assertEquals(await term.display("#{alternate_on}"), "1");
    const pids = JSON.parse((await orch(dir.path, "status", "--json")).stdout).instances
      .flatMap((i: { pid?: number }) => (i.pid ? [i.pid] : []));
    assertEquals(pids.length, 2);

    // A resize redraws at the new size: the footer moves to the new last row.
    await term.resize(90, 20);
    await term.waitFor("the redraw", (t) => {
      const rows = t.split("\n");
      return rows.length >= 20 && rows[19].startsWith(" q quit") && /ticker\s+ready/.test(t);
    });

    // Filter the log pane.
    await term.keys("/", "tick [0-9]", "Enter");
    text = await term.waitFor("the filter", (t) => t.includes("filter /tick [0-9]/"));
    const lines = text.split("\n");
    const pane = lines.slice(lines.findIndex((l) => l.includes("filter /tick [0-9]/")) + 1)
      .filter((l) => l.includes("│"));
    assert(pane.length > 0 && pane.every((l) => /ticker\s+│ tick \d+/.test(l)), pane.join("\n"));
    await term.keys("Escape");

    // Restart the ticker (second row).
    await term.keys("j", "r");
    await term.waitFor("the restart", (t) => /ticker\s+ready\s+true\s+1\/1\s+1\s/.test(t));

    // Send a line to echo's stdin.
    await term.keys("k", "i");
    await term.waitFor("the input line", (t) => t.includes("to echo stdin"));
    await term.keys("hello tui", "Enter");
    await term.waitFor("the echo", (t) => /echo\s+│ got hello tui/.test(t));

    // Quit, stopping the stack.
    await term.keys("q");
    await term.waitFor("the question", (t) => t.includes("stop the stack and quit?"));
    await term.keys("y");
    await term.waitFor("orch to exit", (t) => t.includes("EXITED 0"));
    assertEquals(await term.display("#{alternate_on}"), "0");
    assertEquals(await term.display("#{cursor_flag}"), "1");
    for (const pid of pids) assert(!processAlive(pid), `service process ${pid} is gone`);
  },
});

Deno.test({
  name: "a SIGTERM while the TUI is open stops the stack and restores the terminal",
  ignore: !hasTmux,
  async fn() {
    await using dir = await tempDir();
    await Deno.writeTextFile(
      `${dir.path}/stack.yaml`,
      `services:\n  s: { command: "exec sleep 60" }\n`,
    );
    await using term = await terminal(dir.path, up);
    await term.waitFor("the table", (t) => /[›\s]s\s+ready\s+true/.test(t));
    const { pid } = JSON.parse(await Deno.readTextFile(`${dir.path}/.orch/orch.json`));
    Deno.kill(pid, "SIGTERM");
    await term.waitFor("orch to exit", (t) => t.includes("EXITED 0"));
    assertEquals(await term.display("#{alternate_on}"), "0");
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
    assertEquals((await orch(dir.path, "up", "-d", "--wait")).code, 0);
    try {
      await using term = await terminal(dir.path, `${Deno.execPath()} run -A ${main} attach`);
      await term.waitFor("the table", (t) => /[›\s]s\s+ready\s+true/.test(t));
      await term.keys("q");
      await term.waitFor("attach to exit", (t) => t.includes("EXITED 0"));
      assertEquals(await term.display("#{alternate_on}"), "0");
      assertMatch((await orch(dir.path, "status")).stdout, /\ns\s+ready/);
    } finally {
      await orch(dir.path, "down");
    }
  },
});

Deno.test({
  name: "orch's notes about a replica, written to the log pane, are recorded under that replica",
  ignore: !hasTmux,
  async fn() {
    await using dir = await tempDir();
    await Deno.writeTextFile(
      `${dir.path}/stack.yaml`,
      `services:\n  api: { command: "exec sleep 60", replicas: 2 }\n`,
    );
    await using term = await terminal(dir.path, up);
    await term.waitFor("the table", (t) => /[›\s]api\s+ready\s+true\s+2\/2/.test(t));
    const { pid } = JSON.parse(await Deno.readTextFile(`${dir.path}/.orch/orch.json`));
    Deno.kill(pid, "SIGTERM");
    await term.waitFor("orch to exit", (t) => t.includes("EXITED 0"));
    const records = (await Deno.readTextFile(`${dir.path}/.orch/logs/orch.ndjson`)).trim()
      .split("\n").map((l) => JSON.parse(l)).filter((r) => /^api\.\d /.test(r.msg));
    const about = (replica: number) =>
      records.filter((r) => r.msg.startsWith(`api.${replica} `)).map((r) => [r.service, r.replica]);
    assert(about(1).length >= 2, JSON.stringify(records));
    assertEquals(new Set(about(1).map(String)), new Set(["api,1"]));
    assertEquals(new Set(about(0).map(String)), new Set(["api,0"]));
  },
});
