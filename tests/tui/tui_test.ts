import { assert, assertEquals, assertMatch } from "../assert.ts";
import type { LogRecord } from "../../src/domain/log.ts";
import type { InstanceStatus } from "../../src/domain/state.ts";
import { summarize } from "../../src/domain/status.ts";
import { handleKey } from "../../src/tui/keys.ts";
import { initialModel, type Model, visibleLogs, withLogs } from "../../src/tui/model.ts";
import { Buffer, diff } from "../../src/tui/screen.ts";
import { decodeKeys } from "../../src/tui/terminal.ts";
import { clean, textWidth, truncate } from "../../src/tui/text.ts";
import { render } from "../../src/tui/view.ts";

const NOW = 1_700_000_000_000;

function instance(
  service: string,
  state: InstanceStatus["state"],
  extra: Partial<InstanceStatus> = {},
): InstanceStatus {
  return {
    service,
    replica: 0,
    id: service,
    state,
    want: state === "stopped" ? "down" : "up",
    pid: 100,
    restarts: 0,
    startedAt: NOW - 65_000,
    readyAt: NOW - 60_000,
    since: NOW - 65_000,
    message: state === "waiting" ? "blocked: dependency db not ready" : "",
    probes: {},
    ...extra,
  };
}

let seq = 0;
function record(service: string, msg: string, level: LogRecord["level"] = "info"): LogRecord {
  return { ts: NOW, seq: ++seq, service, replica: 0, stream: "stdout", level, msg };
}

function model(overrides: Partial<Model> = {}): Model {
  const instances = [
    instance("db", "ready", { usage: { cpuSeconds: 1.25, rssBytes: 40 * 1024 * 1024 } }),
    instance("api", "waiting"),
    instance("worker", "stopped"),
  ];
  let m: Model = {
    ...initialModel({ width: 100, height: 20, stack: "shop", ownsStack: true, now: NOW - 120_000 }),
    now: NOW,
    instances,
    services: summarize(instances),
  };
  m = withLogs(m, [
    record("db", "db: ready"),
    record("api", "\x1b[31mERROR\x1b[0m connection refused", "error"),
    record("worker", "job 1 done"),
    record("api", "retrying"),
  ]);
  return { ...m, ...overrides };
}

function keys(m: Model, ...pressed: string[]) {
  const commands = [];
  for (const key of pressed) {
    const r = handleKey(m, key);
    m = r.model;
    commands.push(...r.commands);
  }
  return { m, commands };
}

Deno.test("the view: header with counts, the status table, coloured states, logs, footer", () => {
  const buf = render(model());
  const text = buf.text();
  assertMatch(buf.row(0), /orch\s+shop\s+running, up 2m\s+1 ready\s+1 waiting\s+1 stopped/);
  assertMatch(buf.row(1), /SERVICE\s+STATE\s+READY\s+REPL\s+RESTARTS\s+AGE\s+CPU\s+MEM\s+MESSAGE/);
  assertMatch(buf.row(2), /^›db\s+ready\s+true\s+1\/1\s+0\s+1m5s\s+1\.3s\s+40\.0M/);
  assertMatch(buf.row(3), /api\s+waiting\s+false\s+0\/1 .*blocked: dependency db not ready/);
  assertEquals(buf.styleAt(buf.row(2).indexOf("ready"), 2).fg, 2, "ready is green");
  assertEquals(buf.styleAt(buf.row(3).indexOf("waiting"), 3).fg, 3, "waiting is yellow");
  assertMatch(text, /── logs: all services · following/);
  assertMatch(text, /api\s+│ ERROR connection refused/);
  assert(!text.includes("\x1b"), "escapes a child printed are stripped");
  assertMatch(buf.row(19), /q quit/);
});

Deno.test("focus, filter, level and scrolling select what the log pane shows", () => {
  let { m } = keys(model(), "j", "enter");
  assertEquals(m.focus, "api");
  assertEquals(visibleLogs(m).lines.map((l) => l.text), ["ERROR connection refused", "retrying"]);
  ({ m } = keys(m, "tab"));
  assertEquals(m.focus, undefined);
  ({ m } = keys(m, "/", "r", "e", "[", "enter"));
  assertMatch(m.flash ?? "", /bad pattern/);
  ({ m } = keys(m, "backspace", "t", "r", "y", "enter"));
  assertEquals(m.filter?.source, "retry");
  assertEquals(visibleLogs(m).lines.map((l) => l.text), ["retrying"]);
  assertMatch(render(m).text(), /filter \/retry\//);
  ({ m } = keys(m, "/", "backspace", "backspace", "backspace", "backspace", "backspace", "enter"));
  assertEquals(m.filter, undefined);
  ({ m } = keys(m, "l", "l", "l", "l"));
  assertEquals(m.minLevel, "error");
  assertEquals(visibleLogs(m).lines.map((l) => l.text), ["ERROR connection refused"]);
  ({ m } = keys(m, "l"));
  assertEquals(m.minLevel, undefined);
});

Deno.test("scrolling up pauses following, new lines keep the view still, f resumes", () => {
  let m = model({ height: 12 });
  m = withLogs(m, Array.from({ length: 50 }, (_, i) => record("db", `line ${i}`)));
  assertEquals(visibleLogs(m).lines.at(-1)?.text, "line 49");
  ({ m } = keys(m, "pageup"));
  assertEquals(m.follow, false);
  const top = visibleLogs(m).lines[0].text;
  m = withLogs(m, [record("db", "newer")]);
  assertEquals(visibleLogs(m).lines[0].text, top, "the view stays on the same lines");
  assertMatch(render(m).text(), /paused \(\d+ newer below, f to follow\)/);
  ({ m } = keys(m, "home"));
  assertEquals(visibleLogs(m).lines[0].text, "db: ready");
  ({ m } = keys(m, "f"));
  assertEquals([m.follow, visibleLogs(m).lines.at(-1)?.text], [true, "newer"]);
});

Deno.test("n and N mark matching lines in turn", () => {
  let { m } = keys(model(), "/", "r", "e", "enter");
  ({ m } = keys(m, "n"));
  const first = m.mark;
  ({ m } = keys(m, "n"));
  assert(m.mark !== undefined && m.mark !== first, "n moves to the next match");
  ({ m } = keys(m, "N"));
  assertEquals(m.mark, first);
});

Deno.test("keys become commands: restart, stop/start, send, save, quit", () => {
  const m0 = model();
  assertEquals(keys(m0, "r").commands, [{ type: "restart", service: "db" }]);
  assertEquals(keys(m0, "s").commands, [{ type: "stop", service: "db" }]);
  assertEquals(keys(m0, "j", "j", "s").commands, [{ type: "start", service: "worker" }]);
  const typed = keys(m0, "j", "i", "h", "i", "backspace", "o", "y", "enter");
  assertEquals(typed.commands, [{ type: "send", service: "api", text: "hoy" }]);
  assertEquals(typed.m.mode, "normal");
  assertEquals(keys(m0, "i", "x", "escape").commands, []);
  const saved = keys(m0, "w").commands[0];
  assert(saved.type === "save" && saved.lines.length === 4, JSON.stringify(saved));
  assertEquals(saved.type === "save" && saved.lines[1], "api | ERROR connection refused");
  const focused = keys(m0, "enter", "w").commands[0];
  assert(focused.type === "save" && focused.what === "db's buffer");
  // orch up: q asks first; anything but y stays.
  const asked = keys(m0, "q");
  assertEquals([asked.m.mode, asked.commands], ["confirmQuit", []]);
  assertMatch(render(asked.m).row(19), /stop the stack and quit\?/);
  assertEquals(keys(asked.m, "n").commands, []);
  assertEquals(keys(asked.m, "y").commands, [{ type: "quit", stopStack: true }]);
  // attach: q leaves at once.
  assertEquals(keys({ ...m0, ownsStack: false }, "ctrl-c").commands, [{
    type: "quit",
    stopStack: false,
  }]);
  const help = keys(m0, "?").m;
  assertMatch(render(help).text(), /PgUp\/PgDn Home\/End\s+scroll/);
  assertEquals(keys(help, "x").m.mode, "normal");
});

Deno.test("wide characters are measured in cells, escapes and tabs cleaned", () => {
  assertEquals(textWidth("日本語"), 6);
  assertEquals(textWidth("e\u0301"), 1);
  assertEquals(textWidth("🚀 go"), 5);
  assertEquals(truncate("日本語テキスト", 7), "日本語…");
  assertEquals(clean("\x1b[1;32mok\x1b[0m\tdone\x1b]0;title\x07!"), "ok      done!");
  const buf = new Buffer(10, 1);
  buf.put(0, 0, "ab日本語cd");
  assertEquals(buf.row(0), "ab日本語cd");
  const cut = new Buffer(5, 1);
  cut.put(0, 0, "ab日本語");
  assertEquals(cut.row(0), "ab日", "a wide character that does not fit is not split");
});

Deno.test("only changed cells are written between frames; a resize redraws all", () => {
  const a = new Buffer(40, 3);
  a.put(0, 0, "hello world");
  a.put(0, 2, "status: ready", { fg: 2 });
  const first = diff(undefined, a);
  assert(first.startsWith("\x1b[0m\x1b[2J"), "the first frame clears");
  const b = new Buffer(40, 3);
  b.put(0, 0, "hello world");
  b.put(0, 2, "status: ready", { fg: 2 });
  assertEquals(diff(a, b), "", "nothing changed, nothing written");
  b.put(8, 2, "READY", { fg: 2 });
  const small = diff(a, b);
  assertEquals(small, "\x1b[3;9H\x1b[0;38;5;2mREADY\x1b[0m");
  assert(diff(a, new Buffer(41, 3)).startsWith("\x1b[0m\x1b[2J"));
});

Deno.test("the terminal decoder turns byte sequences into keys", () => {
  assertEquals(decodeKeys("\x1b[A\x1b[B\x1bOH\x1b[4~\x1b[5~\x1b[6~"), [
    "up",
    "down",
    "home",
    "end",
    "pageup",
    "pagedown",
  ]);
  assertEquals(decodeKeys("j\r\t\x7f\x03/日"), [
    "j",
    "enter",
    "tab",
    "backspace",
    "ctrl-c",
    "/",
    "日",
  ]);
  assertEquals(decodeKeys("\x1b"), ["escape"]);
  assertEquals(decodeKeys("\x1b[200~x"), ["x"], "unknown sequences are skipped");
});

Deno.test("Ctrl-C at the quit question stops and quits; anything else but y stays", () => {
  const asked = keys(model(), "ctrl-c");
  assertEquals(asked.m.mode, "confirmQuit");
  assertEquals(keys(asked.m, "ctrl-c").commands, [{ type: "quit", stopStack: true }]);
  assertEquals(keys(asked.m, "q").commands, []);
  assertMatch(render(asked.m).row(19), /y or Ctrl-C: stop and quit/);
});

Deno.test("prompts: / starts from the old filter; Ctrl-U clears the line, Ctrl-W a word", () => {
  let { m } = keys(model(), "/", ..."conn refused", "enter");
  assertEquals(m.filter?.source, "conn refused");
  ({ m } = keys(m, "/"));
  assertEquals(m.input, "conn refused", "the prompt starts from the filter, to edit it");
  ({ m } = keys(m, "ctrl-w"));
  assertEquals(m.input, "conn ");
  ({ m } = keys(m, "ctrl-w", "ctrl-w"));
  assertEquals(m.input, "");
  ({ m } = keys(m, ..."retry", "ctrl-u"));
  assertEquals(m.input, "");
  ({ m } = keys(m, ..."ERROR", "enter"));
  assertEquals(visibleLogs(m).lines.map((l) => l.text), ["ERROR connection refused"]);
  // The stdin prompt edits the same way.
  const typed = keys(model(), "i", ..."oops", "ctrl-u", ..."hi there", "ctrl-w", ..."you", "enter");
  assertEquals(typed.commands, [{ type: "send", service: "db", text: "hi you" }]);
  assertEquals(decodeKeys("\x15\x17"), ["ctrl-u", "ctrl-w"]);
});

Deno.test("a table taller than its space says how many rows are hidden and scrolls with the selection", () => {
  const instances = Array.from({ length: 20 }, (_, i) => ({
    ...instance(`svc${String(i).padStart(2, "0")}`, "ready"),
  }));
  let m: Model = { ...model(), instances, services: summarize(instances) };
  // 20 rows: the table has 6 (40% of what the header and footer leave): 5 services and a note.
  let buf = render(m);
  assertMatch(buf.row(2), /^›svc00\s+ready/);
  assertMatch(buf.row(6), /^ svc04\s/);
  assertMatch(buf.row(7), /^ … 15 more {2}\(15 below; ↑\/↓ scrolls\)/);
  ({ m } = keys(m, ..."jjjjjjj"));
  buf = render(m);
  assertMatch(buf.row(6), /^›svc07\s/, "the selection moved the table down");
  assertMatch(buf.row(2), /^ svc03\s/);
  assertMatch(buf.row(7), /… 15 more {2}\(3 above, 12 below; ↑\/↓ scrolls\)/);
  ({ m } = keys(m, "k"));
  buf = render(m);
  assertMatch(buf.row(2), /^ svc03\s/, "moving up within the window does not scroll");
  assertMatch(buf.row(5), /^›svc06\s/);
  ({ m } = keys(m, ..."k".repeat(10)));
  assertMatch(render(m).row(2), /^›svc00\s/);
  assertMatch(render(m).row(7), /… 15 more {2}\(15 below;/);
  // A table that fits has no note.
  assert(!render(model()).text().includes("more"));
});
