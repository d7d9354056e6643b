/**
 * The TUI's flows views end to end in a real terminal (tmux): `orch up` with flows, the Flows view,
 * a trigger with a payload typed at the prompt, the Run view's task graph and states changing,
 * the selected task's output; and `orch tui --db FILE` over a history with no orch running.
 */
import { assertMatch } from "../assert.ts";
import { MAIN as main, runOrch } from "../../src/testing/cli.ts";
import { tempDir } from "../../src/testing/recorder.ts";
import { HAS_TMUX, terminal } from "../../src/testing/tmux.ts";

if (!HAS_TMUX) console.error("tests/e2e/tui_flows_test.ts: SKIPPED: tmux is not installed");

const orch = `${Deno.execPath()} run -A ${main}`;

const STACK = `
services:
  web: { command: "sleep 600" }
flows:
  build:
    schedule: "0 3 * * *"
    tasks:
      compile:
        command: 'echo "compiling $(cat "$ORCH_PAYLOAD_FILE")"; echo "artifact=app.bin" >> "$ORCH_OUTPUTS"'
      gate:
        command: 'while [ ! -e "$TESTDIR/go" ]; do sleep 0.05; done; echo "gate open"'
        dependsOn: [compile]
        env: { TESTDIR: "DIR" }
      package:
        command: 'echo "packaging \${tasks.compile.artifact}"'
        dependsOn: [gate]
`;

Deno.test({
  name: "TUI: Flows view, trigger with a payload, Run view graph and states, a task's output",
  ignore: !HAS_TMUX,
  async fn() {
    await using dir = await tempDir();
    await Deno.writeTextFile(`${dir.path}/stack.yaml`, STACK.replace("DIR", dir.path));
    await using term = await terminal(dir.path, `${orch} up`, { width: 120, height: 30 });
    await term.waitFor("the services table", (t) => /web\s+ready/.test(t));
    await term.keys("2");
    let text = await term.waitFor("the Flows view", (t) => /FLOW\s+SCHEDULE\s+NEXT/.test(t));
    assertMatch(text, /build\s+0 3 \* \* \*\s+in \S+\s+-/);
    await term.keys("t");
    await term.waitFor("the payload prompt", (t) => t.includes("payload for build"));
    await term.keys('{"v":42}', "Enter");
    await term.waitFor("the trigger's message", (t) => /run 1 of build: running/.test(t));
    // Runs of build, then the run: its graph, the gate task running.
    await term.keys("Enter");
    await term.waitFor("the Runs view", (t) => /^\s*1\s+build\s+running\s+manual/m.test(t));
    await term.keys("Enter");
    text = await term.waitFor(
      "the Run view with gate running",
      (t) => /\[ compile succeeded\s*\]/.test(t) && /\[ gate running\s*\]/.test(t),
    );
    assertMatch(text, /run 1 of build running/);
    assertMatch(text, /\[ package pending\s*\]/);
    // The selected task (compile, the first) shows its output and outputs.
    await term.waitFor("compile's output", (t) => t.includes('compiling {"v":42}'));
    assertMatch(text, /compile: succeeded, attempt 1 · exit 0 · outputs artifact=app\.bin/);
    await Deno.writeTextFile(`${dir.path}/go`, "");
    await term.waitFor(
      "the run to succeed",
      (t) => /run 1 of build succeeded/.test(t) && /\[ package succeeded\s*\]/.test(t),
    );
    await term.keys("j", "j");
    await term.waitFor("package's output", (t) => t.includes("packaging app.bin"));
    // Back to Runs and Flows: the strip shows the success.
    await term.keys("2");
    await term.waitFor("the strip", (t) => /build\s+0 3 \* \* \*\s+in \S+\s+succeeded\s+●/.test(t));
    // Pause the flow from the Flows view.
    await term.keys("p");
    await term.waitFor("paused", (t) => /build\s.*\spaused/.test(t));
    await term.keys("q");
    await term.waitFor("the quit prompt", (t) => t.includes("stop the stack and quit?"));
    await term.keys("y");
    await term.waitFor("orch to exit", (t) => /EXITED \d+/.test(t));
  },
});

Deno.test({
  name: "orch tui --db FILE: read-only over a history with no orch; it follows the file",
  ignore: !HAS_TMUX,
  async fn() {
    await using dir = await tempDir();
    await Deno.mkdir(`${dir.path}/jobs`);
    await Deno.writeTextFile(
      `${dir.path}/jobs/hello.yaml`,
      `name: hello\ntasks:\n  greet:\n    type: command\n    program: echo\n    args: ["hi from the db"]\n`,
    );
    const once = await runOrch(dir.path, ["run", "--jobs", "jobs", "--trigger", "hello"]);
    assertMatch(once.stdout, /succeeded/);
    const db = `${dir.path}/.orch/history.db`;
    await using term = await terminal(dir.path, `${orch} tui --db ${db}`, {
      width: 110,
      height: 24,
    });
    let text = await term.waitFor("the Flows view", (t) => /hello\s+-\s+-\s+succeeded\s+●/.test(t));
    assertMatch(text, /read-only/);
    await term.keys("t");
    await term.waitFor("the refusal", (t) => /actions need a running orch/.test(t));
    await term.keys("3");
    await term.waitFor("the Runs view", (t) => /^\s*1\s+hello\s+succeeded/m.test(t));
    await term.keys("Enter");
    text = await term.waitFor("the Run view", (t) => t.includes("hi from the db"));
    assertMatch(text, /\[ greet succeeded\s*\]/);
    // Another run written by another orch appears.
    await runOrch(dir.path, ["run", "--jobs", "jobs", "--trigger", "hello"]);
    await term.keys("3");
    await term.waitFor("the second run", (t) => /^\s*2\s+hello\s+succeeded/m.test(t));
    await term.keys("q");
    await term.waitFor("the TUI to exit", (t) => /EXITED 0/.test(t));
  },
});
