/**
 * The TUI end to end: `orch up` in a real terminal (tmux), driven with send-keys and read with
 * capture-pane.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { MAIN as main, runOrch } from "../../src/testing/cli.ts";
import { ECHO_TICKER_STACK } from "../../src/testing/fixtures.ts";
import { processAlive, tempDir } from "../../src/testing/recorder.ts";
import { HAS_TMUX, terminal } from "../../src/testing/tmux.ts";

const hasTmux = HAS_TMUX;
if (!hasTmux) console.error("tests/e2e/tui_test.ts: SKIPPED: tmux is not installed");

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

Deno.test({
  name: "a stack of oneshots keeps its final table until a key, then prints it and the failure",
  ignore: !hasTmux,
  async fn() {
    await using dir = await tempDir();
    await Deno.writeTextFile(
      `${dir.path}/stack.yaml`,
      `services:\n  first: { kind: oneshot, command: "echo one" }\n` +
        `  bad: { kind: oneshot, command: "echo about to fail; echo boom >&2; exit 3", ` +
        `dependsOn: [first] }\n`,
    );
    await using term = await terminal(dir.path, up);
    const held = await term.waitFor(
      "the final table, held",
      (t) => t.includes("press any key to leave"),
    );
    assertMatch(held, /first\s+completed/);
    assertMatch(held, /bad\s+failed/);
    assertMatch(held, /✗ bad failed: exit code 3 · press any key to leave/);
    assertEquals(await term.display("#{alternate_on}"), "1", "the TUI is still open");
    await term.keys("x");
    const after = await term.waitFor("orch to exit", (t) => t.includes("EXITED 1"));
    assertEquals(await term.display("#{alternate_on}"), "0");
    // On the normal screen: the final table, and the failed task's last lines.
    assertMatch(after, /SERVICE\s+STATE\s+READY\s+REPL\s+RESTARTS\s+AGE\s+MESSAGE/);
    assertMatch(after, /first\s+completed/);
    assertMatch(after, /bad\s+failed .*exit code 3/);
    assertMatch(
      after,
      /bad failed \(exit code 3\); its last lines:\nbad\s+\| about to fail\nbad\s+\| boom/,
    );
  },
});

Deno.test({
  name:
    "TUI keys in a terminal: a long table scrolls, Ctrl-U clears the prompt, Ctrl-C twice stops",
  ignore: !hasTmux,
  async fn() {
    await using dir = await tempDir();
    const names = Array.from({ length: 12 }, (_, i) => `svc${String(i).padStart(2, "0")}`);
    await Deno.writeTextFile(
      `${dir.path}/stack.yaml`,
      `services:\n${names.map((n) => `  ${n}: { command: "exec sleep 60" }\n`).join("")}`,
    );
    await using term = await terminal(dir.path, up);
    // 24 rows leave the table 8: 7 services and a line saying how many more there are.
    let text = await term.waitFor("the table", (t) => /svc06\s+ready/.test(t));
    assertMatch(text, /… 5 more {2}\(5 below; ↑\/↓ scrolls\)/);
    assert(
      !/^[ ›]svc07\s+[a-z]+\s+(true|false)/m.test(text),
      "rows past the table's space are hidden",
    );
    await term.keys(..."jjjjjjjjjj");
    text = await term.waitFor("the table to scroll", (t) => /›svc10\s+ready/.test(t));
    assertMatch(text, /… 5 more {2}\(4 above, 1 below; ↑\/↓ scrolls\)/);
    // The filter prompt starts from the old filter; Ctrl-U clears it.
    await term.keys("/", "svc", "Enter");
    await term.waitFor("the filter", (t) => t.includes("filter /svc/"));
    await term.keys("/");
    await term.waitFor("the prompt with the old filter", (t) => t.includes("Esc cancel): svc▏"));
    await term.keys("C-u");
    await term.waitFor("the cleared prompt", (t) => t.includes("Esc cancel): ▏"));
    await term.keys("Escape");
    const pids = JSON.parse((await orch(dir.path, "status", "--json")).stdout).instances
      .flatMap((i: { pid?: number }) => (i.pid ? [i.pid] : []));
    assertEquals(pids.length, names.length);
    // Ctrl-C asks; Ctrl-C again stops the stack and quits.
    await term.keys("C-c");
    await term.waitFor("the question", (t) => t.includes("stop the stack and quit?"));
    await term.keys("C-c");
    await term.waitFor("orch to exit", (t) => t.includes("EXITED 0"));
    for (const pid of pids) assert(!processAlive(pid), `service process ${pid} is gone`);
  },
});
