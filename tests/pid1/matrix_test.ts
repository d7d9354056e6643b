/**
 * tini's matrix for orch as PID 1: exit codes 0-255 propagate, and what TERM, INT, HUP, QUIT and
 * a second signal do.
 *
 * Exit codes: every code 0-255 is checked twice, in one orch each time: 256 oneshots, one per
 * code, must each report their own code (Deno's children under the reaper), and the mapping from
 * a service's exit to orch's status is checked for all 256 codes and every signal as a pure
 * function. That orch really exits with a required service's code is checked end to end on a
 * sample (0, 1, 2, 42, 126, 127, 128, 130, 200, 255): one orch run per code, 256 of them would
 * cost a minute of CI for nothing the sample and the pure check do not already show.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { InitRun, namespaceProblem } from "../../src/testing/namespace.ts";
import { tempDir } from "../../src/testing/recorder.ts";
import { exitStatusOf, signalNumber, statusOf } from "../../src/cli/exit_status.ts";

const problem = await namespaceProblem();
if (problem) console.error(`tests/pid1: SKIPPED: ${problem}`);

function initTest(name: string, fn: () => Promise<void>) {
  Deno.test({ name: `pid 1 matrix: ${name}`, ignore: problem !== undefined, fn });
}

Deno.test("exit status: codes 0-255 as they are, signals as 128+n, stops and kills", () => {
  for (let code = 0; code < 256; code++) assertEquals(statusOf({ code, signal: null }), code);
  assertEquals(statusOf({ code: null, signal: "SIGKILL" }), 137);
  assertEquals(statusOf({ code: null, signal: "SIGTERM" }), 143);
  assertEquals(statusOf({ code: null, signal: "SIGSEGV" }), 139);
  for (const [name, n] of [["SIGHUP", 1], ["SIGINT", 2], ["SIGQUIT", 3], ["SIGUSR2", 12]]) {
    assertEquals(signalNumber(name as string), n);
  }
  assertEquals(signalNumber("toString"), undefined);
  const end = { outcomeCode: 1, stoppedOnRequest: false };
  assertEquals(exitStatusOf({ ...end, stoppedOnRequest: true, outcomeCode: 0 }), 0);
  assertEquals(exitStatusOf({ ...end, stoppedOnRequest: true }), 0);
  assertEquals(exitStatusOf({ ...end, killedBy: "SIGQUIT" }), 131);
  assertEquals(exitStatusOf({ ...end, stoppedOnRequest: true, killedBy: "SIGINT" }), 130);
  assertEquals(exitStatusOf({ ...end, stoppedOnRequest: true, required: 42 }), 42);
  assertEquals(exitStatusOf(end), 1);
});

initTest("256 oneshots in one orch each report their own exit code 0-255", async () => {
  await using dir = await tempDir();
  let stack = "services:\n";
  for (let c = 0; c < 256; c++) {
    stack += `  c${c}: { kind: oneshot, command: "exit ${c}", successCodes: [${c}] }\n`;
  }
  await Deno.writeTextFile(`${dir.path}/stack.yaml`, stack);
  await using run = new InitRun(dir.path, ["up", "--no-tui"]);
  const { code, output } = await run.exited;
  assertEquals(code, 0, output.slice(-2000));
  for (let c = 0; c < 256; c++) {
    assertMatch(output, new RegExp(`c${c} completed \\(exit code ${c}\\)`));
  }
});

async function requiredExit(code: number): Promise<number> {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir.path}/stack.yaml`,
    `services:\n  main:\n    kind: oneshot\n    required: true\n    command: "exit ${code}"\n`,
  );
  await using run = new InitRun(dir.path, ["up", "--no-tui"]);
  return (await run.exited).code;
}

initTest("a required service's exit code is orch's, sampled over 0-255", async () => {
  const sample = [0, 1, 2, 42, 126, 127, 128, 130, 200, 255];
  const got: number[] = [];
  for (let i = 0; i < sample.length; i += 5) {
    got.push(...await Promise.all(sample.slice(i, i + 5).map(requiredExit)));
  }
  assertEquals(got, sample);
});

/** slow takes `linger` to go after its SIGTERM; front depends on it. */
const signalStack = (linger: string) => `
stack: { shutdownTimeout: 20s }
services:
  slow:
    command: "trap 'echo slow got TERM; sleep ${linger}; exit 0' TERM; echo slow up; while :; do sleep 0.1; done"
    stop: { timeout: 10s }
  front:
    dependsOn: [slow]
    command: "trap 'echo front got TERM; exit 0' TERM; echo front up; while :; do sleep 0.1; done"
`;

/** Starts the two-service stack as PID 1 and waits until both are up. */
async function signalRun(dir: string, linger = "0.5"): Promise<InitRun> {
  await Deno.writeTextFile(`${dir}/stack.yaml`, signalStack(linger));
  const run = new InitRun(dir, ["up", "--no-tui"]);
  await run.waitFor(/front up/, "front up");
  await run.waitFor(/slow up/, "slow up");
  return run;
}

for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
  initTest(`${signal}: the stack stops in order under its timeouts, exit 0`, async () => {
    await using dir = await tempDir();
    await using run = await signalRun(dir.path);
    await run.signal(signal);
    const { code, output } = await run.exited;
    assertEquals(code, 0, output);
    assertMatch(output, new RegExp(`${signal}: stopping`));
    // slow takes 0.5 s to go after its SIGTERM; orch waits for it, within its 10 s stop timeout.
    assert(output.indexOf("front stopped") < output.indexOf("slow got TERM"), output);
    assertMatch(output, /slow stopped/);
  });
}

initTest("SIGQUIT kills every service at once, exit 131", async () => {
  await using dir = await tempDir();
  await using run = await signalRun(dir.path, "5");
  const began = performance.now();
  await run.signal("SIGQUIT");
  const { code, output } = await run.exited;
  assertEquals(code, 131, output);
  assertMatch(output, /SIGQUIT: killing every service now/);
  assert(!/got TERM/.test(output), "no service was asked to stop");
  assert(performance.now() - began < 4_000, "killed without waiting for slow's 5 s");
});

initTest("a second SIGTERM during the stop kills at once, exit 143", async () => {
  await using dir = await tempDir();
  await using run = await signalRun(dir.path, "5");
  await run.signal("SIGTERM");
  // The narration comes a second into a level that waits: well past the 300 ms in which a
  // second signal counts as the same keypress.
  await run.waitFor(/waiting for slow/, "orch to wait for slow");
  await run.signal("SIGTERM");
  const { code, output } = await run.exited;
  assertEquals(code, 143, output);
  assertMatch(output, /SIGTERM: killing every service now/);
});
