/**
 * orch as PID 1 of a PID namespace (`unshare --pid --fork --mount-proc`): orphans reaped, Deno's
 * own children untouched, TERM from outside stops the stack in order, and the exit status.
 * Skipped with a message where unshare cannot make a namespace (not root).
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { eventually, InitRun, namespaceProblem } from "../../src/testing/namespace.ts";
import { tempDir } from "../../src/testing/recorder.ts";

const problem = await namespaceProblem();
if (problem) console.error(`tests/pid1: SKIPPED: ${problem}`);

function initTest(name: string, fn: () => Promise<void>) {
  Deno.test({ name: `pid 1: ${name}`, ignore: problem !== undefined, fn });
}

/** A long-running service that says when it got SIGTERM. */
const svc = (name: string) =>
  `"trap 'echo ${name} got TERM; exit 0' TERM; echo ${name} up; while :; do sleep 0.1; done"`;

const CODES = Array.from({ length: 20 }, (_, i) => i * 13 % 256);

const STACK = `
stack: { shutdownTimeout: 20s }
services:
  db:
    command: ${svc("db")}
  api:
    dependsOn: [db]
    command: ${svc("api")}
    health: { cmd: { command: "exit 0" }, interval: 100ms }
  web:
    dependsOn: [api]
    command: ${svc("web")}
    preScript: "true"
    postScript: "true"
  orphans:
    dependsOn: [web]
    command: "for i in $(seq 100); do (sh -c 'echo x >> orphans.log' &); done; echo made 100; exec sleep 300"
${
  CODES.map((c) =>
    `  code${c}:\n    kind: oneshot\n    command: "exit ${c}"\n    successCodes: [${c}]\n`
  ).join("")
}`;

initTest(
  "100 orphans are reaped, Deno's own children keep their exit codes, TERM stops in order",
  async () => {
    await using dir = await tempDir();
    await Deno.writeTextFile(`${dir.path}/stack.yaml`, STACK);
    await using run = new InitRun(dir.path, ["up", "--no-tui"]);
    await run.waitFor(/made 100/, "the orphans to be made");
    assertEquals(await run.namespacePid(), 1, "orch is PID 1 of its namespace");
    for (const c of CODES) {
      await run.waitFor(new RegExp(`code${c} completed \\(exit code ${c}\\)`), `code${c}`);
    }
    await run.waitFor(/api ready/, "api ready (its cmd probe passes)");
    const lines = async () =>
      (await Deno.readTextFile(`${dir.path}/orphans.log`).catch(() => "")).split("\n").length - 1;
    await eventually(async () => await lines() === 100, "100 orphans to have run");
    await eventually(async () => (await run.zombies()).length === 0, "no zombie left");
    assertEquals(await run.zombies(), []);
    assert(!/failed|error/i.test(run.output), run.output);

    await run.signal("SIGTERM");
    const { code, output } = await run.exited;
    assertEquals(code, 0, output);
    const at = (text: string) => output.indexOf(text);
    assert(at("web stopped") > 0 && at("api stopped") > 0 && at("db stopped") > 0, output);
    assert(at("web stopped") < at("api got TERM"), "web is stopped before api is signalled");
    assert(at("api stopped") < at("db got TERM"), "api is stopped before db is signalled");
  },
);

initTest(
  "the same orphans under an init that does not reap stay zombies: the count is real",
  async () => {
    await using dir = await tempDir();
    // sh as PID 1, then sleep in its place: nothing waits for the orphans.
    await using run = new InitRun(dir.path, [], {
      cmd: [
        "sh",
        "-c",
        "for i in $(seq 100); do (sh -c 'sleep 0.5; echo x >> orphans.log' &); done; echo made 100; " +
        "exec sleep 300",
      ],
    });
    await run.waitFor(/made 100/, "the orphans to be made");
    await eventually(async () => (await run.zombies()).length === 100, "100 zombies");
  },
);

Deno.test("without FFI there is no libc, and openLibc says which flag is missing", async () => {
  await using dir = await tempDir();
  const libc = new URL("../../src/runtime/process/libc.ts", import.meta.url).href;
  await Deno.writeTextFile(
    `${dir.path}/probe.ts`,
    `import { openLibc } from "${libc}";\nconsole.log(JSON.stringify(openLibc()));\n`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "-A", "--deny-ffi", `${dir.path}/probe.ts`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(JSON.parse(new TextDecoder().decode(out.stdout)), {
    reason: "--allow-ffi is not granted",
  });
});

/** Runs a one-service stack as PID 1 until it ends; returns orch's exit status. */
async function exitOf(service: string | string[]): Promise<{ code: number; output: string }> {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir.path}/stack.yaml`,
    `services:\n  other:\n    command: "exec sleep 300"\n  main:\n    required: true\n` +
      `    restartPolicy: never\n    command: ${JSON.stringify(service)}\n`,
  );
  await using run = new InitRun(dir.path, ["up", "--no-tui"]);
  return await run.exited;
}

initTest(
  "a required service's failure is orch's exit status: its code, or 128+signal",
  async () => {
    const [three, killed, missing] = await Promise.all([
      exitOf("exit 3"),
      exitOf("kill -KILL $$$$"), // $$ is a literal $ in a stack file
      exitOf(["/no/such/program"]),
    ]);
    assertEquals(three.code, 3, three.output);
    assertMatch(three.output, /required service "main" failed: exit code 3/);
    assertEquals(killed.code, 137, killed.output);
    assertEquals(missing.code, 1, missing.output);
  },
);

initTest(
  "a SIGTERM while `up` is still loading the stack is kept, then stops it: exit 0",
  async () => {
    await using dir = await tempDir();
    await Deno.writeTextFile(
      `${dir.path}/stack.yaml`,
      `services:\n  s: { command: "exec sleep 300" }\n`,
    );
    // The stack's .env is a FIFO: loading blocks on it until this test writes to it.
    const made = await new Deno.Command("mkfifo", { args: [`${dir.path}/.env`] }).output();
    assertEquals(made.code, 0);
    await using run = new InitRun(dir.path, ["up", "--no-tui"]);
    await eventually(() => run.catches(15), "orch to catch SIGTERM while loading", 10_000);
    // Its listener is there from the start, and keeps a signal for `up` once the load has begun:
    // the loader process runs then (a signal before it is an exit, as for any init).
    await eventually(() => run.hasChild(/__load-config/), "orch's config loader to start", 10_000);
    // Without the listeners main.ts installs first thing, Deno as PID 1 dies of this signal
    // (a segmentation fault, exit 139).
    await run.signal("SIGTERM");
    // The loader may open .env more than once (the services' stack, the flows): feed every open
    // until orch is gone, then free our last pending open by opening the other end ourselves.
    const fifo = `${dir.path}/.env`;
    let opens = 0;
    for (;;) {
      const opening = Deno.open(fifo, { write: true });
      const next = await Promise.race([opening, run.exited]);
      if (!(next instanceof Deno.FsFile)) {
        (await Deno.open(fifo, { read: true })).close();
        (await opening).close();
        if (opens === 0) {
          throw new Error(
            `orch died of SIGTERM while loading (exit ${next.code}):\n${next.output}`,
          );
        }
        break;
      }
      opens++;
      try {
        await next.write(new TextEncoder().encode("A=1\n"));
      } catch (error) {
        // The reader let go between its open and our write (orch stopping its load on the
        // signal): nothing to feed; orch's exit is awaited next.
        if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
      }
      next.close();
    }
    const { code, output } = await run.exited;
    assertEquals(code, 0, output);
    assertMatch(output, /SIGTERM: stopping/);
    assert(!/panic|Segmentation|error/i.test(output), output);
  },
);

initTest("--forward USR2:app passes SIGUSR2 on to app's instances, and only to them", async () => {
  await using dir = await tempDir();
  const svc = (name: string) =>
    `"trap 'echo ${name} got USR2' USR2; echo ${name} up; while :; do sleep 0.1; done"`;
  await Deno.writeTextFile(
    `${dir.path}/stack.yaml`,
    `services:\n  app: { command: ${svc("app")}, replicas: 2 }\n  other: { command: ${
      svc("other")
    } }\n`,
  );
  await using run = new InitRun(dir.path, ["up", "--no-tui", "--forward", "USR2:app"]);
  await run.waitFor(
    /app\.1\s+\| app up[\s\S]*app\.0\s+\| app up|app\.0\s+\| app up[\s\S]*app\.1\s+\| app up/,
    "both app replicas up",
  );
  await run.waitFor(/other\s+\| other up/, "other up");
  await run.signal("SIGUSR2");
  await run.waitFor(/app\.0\s+\| app got USR2/, "app.0 to get SIGUSR2");
  await run.waitFor(/app\.1\s+\| app got USR2/, "app.1 to get SIGUSR2");
  await run.signal("SIGTERM");
  const { code, output } = await run.exited;
  assertEquals(code, 0, output);
  assert(!/other got USR2/.test(output), output);
});

Deno.test("--forward rejects an unknown signal, a reserved one and an unknown service", async () => {
  const { parseForwards } = await import("../../src/cli/init.ts");
  assertEquals(parseForwards(["usr2:app", "SIGWINCH:app"], ["app"]), [
    { signal: "SIGUSR2", service: "app" },
    { signal: "SIGWINCH", service: "app" },
  ]);
  for (
    const [spec, message] of [
      ["USR3:app", /unknown signal "USR3"/],
      ["TERM:app", /SIGTERM cannot be forwarded/],
      ["USR2:nope", /no service named "nope"/],
      ["USR2", /expected SIGNAL:SERVICE/],
      ["toString:app", /unknown signal/],
    ] as const
  ) {
    let error: Error | undefined;
    try {
      parseForwards([spec], ["app"]);
    } catch (e) {
      error = e as Error;
    }
    assertMatch(error?.message ?? "", message);
  }
});
