/**
 * Errors that must not vanish: an env file that cannot be read, a log file that cannot be opened,
 * a runtime with nothing to run. Each is said where the user looks: the instance's message, its
 * log, its status.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../assert.ts";
import { testStack } from "../../src/testing/engine.ts";
import { testService } from "../../src/testing/fixtures.ts";
import { ProcessRuntime } from "../../src/runtime/process/runtime.ts";
import { DockerRuntime } from "../../src/runtime/docker/runtime.ts";
import { OrchError } from "../../src/domain/errors.ts";
import { resolveInstance } from "../../src/domain/instance.ts";

Deno.test("an envFromFile that cannot be read fails the start, naming the file and why", async () => {
  await using t = await testStack(`
services:
  app:
    kind: oneshot
    command: echo "greeting $GREETING"
    envFromFile: [./app.env]
    restartPolicy: never
  dir:
    kind: oneshot
    command: "true"
    envFromFile: [./adir]
    restartPolicy: never
`);
  await Deno.mkdir(`${t.dir}/adir`);
  t.engine.start();
  await t.events.reached("app", "failed");
  await t.events.reached("dir", "failed");
  const [app, dir] = t.engine.status();
  assertEquals(app.message, `cannot read envFromFile ${t.dir}/app.env: it does not exist`);
  assertEquals(dir.message, `cannot read envFromFile ${t.dir}/adir: it is a directory`);
  assertEquals(t.logs.recent({ services: ["app"] }).filter((r) => r.stream !== "orch"), []);
});

Deno.test("a preScript may write the env file its service then reads", async () => {
  await using t = await testStack(`
services:
  app:
    kind: oneshot
    preScript: "echo GREETING=hello > app.env"
    command: echo "greeting $GREETING"
    envFromFile: [./app.env]
`);
  t.engine.start();
  await t.events.reached("app", "completed");
  const lines = t.logs.recent({ services: ["app"] }).filter((r) => r.stream === "stdout");
  assertEquals(lines.map((r) => r.msg), ["greeting hello"]);
});

Deno.test("a logFile that cannot be opened says so in the service's log and in its status", async () => {
  // The stack file itself stands where the log file's directory should be: it cannot be made.
  await using t = await testStack(`
services:
  app:
    command: "echo hello; exec sleep 30"
    logFile: ./stack.yaml/app.log
  fine:
    command: "echo fine; exec sleep 30"
    logFile: ./logs/fine.log
`);
  const path = `${t.dir}/stack.yaml/app.log`;
  const notes = () => t.logs.recent({ services: ["app"] }).filter((r) => r.stream === "orch");
  // Said when orch opens it, before anything is written.
  assert(
    notes().some((r) =>
      r.level === "error" && r.msg.startsWith(`writing the logFile ${path} is failing (`)
    ),
    JSON.stringify(notes()),
  );
  t.engine.start();
  await t.events.until(
    () =>
      t.logs.recent({ services: ["app"] }).some((r) => r.msg === "hello") &&
      t.logs.recent({ services: ["fine"] }).some((r) => r.msg === "fine"),
    "the lines of app and fine",
  );
  t.logs.flush();
  const app = t.engine.status().find((s) => s.service === "app")!;
  assertEquals(app.logFile?.path, path);
  assertMatch(app.logFile?.error ?? "", /\S/);
  assert((app.logFile?.lostRecords ?? 0) >= 1, "the line it could not copy is counted");
  assertEquals(app.state, "ready", "the service keeps running");
  assertEquals(notes().length, 1, "said once, not at every line");
  assertEquals(t.engine.status().find((s) => s.service === "fine")!.logFile, undefined);
  assertEquals(await Deno.readTextFile(`${t.dir}/logs/fine.log`), "fine\n");
});

Deno.test("both runtimes reject, never throw, when there is nothing to run", async () => {
  const ref = { service: "x", replica: 0, id: "x", stack: "s" };
  const processRuntime = new ProcessRuntime({ project: "/tmp", containment: "marker" });
  try {
    const spec = resolveInstance(testService({ name: "x", command: undefined }), ref);
    let started: Promise<unknown> | undefined;
    try {
      started = processRuntime.start(spec, {});
    } catch (error) {
      throw new Error(`ProcessRuntime.start threw synchronously: ${error}`);
    }
    const error = await assertRejects(() => started!, OrchError);
    assertEquals(error.message, "no command to run");
  } finally {
    await processRuntime.close();
  }
  const docker = new DockerRuntime({ project: "/tmp" });
  try {
    const spec = resolveInstance(testService({ name: "x", runtime: "docker" }), ref);
    let started: Promise<unknown> | undefined;
    try {
      started = docker.start(spec, {});
    } catch (error) {
      throw new Error(`DockerRuntime.start threw synchronously: ${error}`);
    }
    const error = await assertRejects(() => started!, OrchError);
    assertEquals(error.message, "no image to run (runtime: docker needs image)");
  } finally {
    await docker.close();
  }
});
