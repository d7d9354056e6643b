/**
 * Service names that are also keys of every JavaScript object (`constructor`, `toString`,
 * `hasOwnProperty`, `__proto__`) work end to end, and such a name that is not a service is a 404.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { runOrch as orch } from "../../src/testing/cli.ts";
import { gone, project, runFile } from "../../src/testing/project.ts";
import { processAlive } from "../../src/testing/recorder.ts";

const service = (name: string, extra = "") =>
  `  ${name}:\n    command: "echo hello from $ORCH_SERVICE; exec sleep 30"\n${extra}`;

Deno.test("services named constructor, toString and hasOwnProperty: up, status, list, restart, scale, logs, down", async () => {
  await using p = await project(
    `services:\n${service("constructor")}${service("toString", "    dependsOn: [constructor]\n")}${
      service("hasOwnProperty", "    dependsOn: [toString]\n")
    }`,
  );
  const up = await orch(p.path, ["up", "-d", "--wait", "--timeout", "30s"]);
  assertEquals(up.code, 0, up.stderr);
  const { pid } = runFile(p.path);

  const status = await orch(p.path, ["status"]);
  assertEquals(status.code, 0, status.stderr);
  for (const name of ["constructor", "toString", "hasOwnProperty"]) {
    assertMatch(status.stdout, new RegExp(`\\n${name}\\s+ready\\s+true\\s+1/1`));
  }
  assertEquals((await orch(p.path, ["list"])).stdout, "constructor\ntoString\nhasOwnProperty\n");
  assertEquals((await orch(p.path, ["restart", "toString"])).stdout, "toString: restarted\n");
  const scale = await orch(p.path, ["scale", "hasOwnProperty=2"]);
  assertEquals(scale.stdout, "hasOwnProperty: 2 replica(s)\n", scale.stderr);
  assertEquals((await orch(p.path, ["scale", "constructor=1"])).code, 0);
  const after = await orch(p.path, ["status"]);
  assertMatch(after.stdout, /\nhasOwnProperty\s+\S+\s+\S+\s+\d\/2/);
  assertMatch(after.stdout, /\ntoString\s+ready\s+true\s+1\/1\s+1\s/);
  const logs = await orch(p.path, ["logs", "constructor"]);
  assertEquals(logs.code, 0, logs.stderr);
  assertMatch(logs.stdout, /^constructor +\| hello from constructor\n/);

  // Other inherited keys are not services.
  for (
    const args of [["scale", "valueOf=1"], ["restart", "isPrototypeOf"], ["stop", "__proto__"]]
  ) {
    const missing = await orch(p.path, args);
    assertEquals(missing.code, 1, `${args.join(" ")}: ${missing.stdout}${missing.stderr}`);
    assertMatch(missing.stderr, /no service named "(valueOf|isPrototypeOf|__proto__)"/);
  }
  assertEquals((await orch(p.path, ["logs", "valueOf"])).code, 1);
  const list = await orch(p.path, ["list"]);
  assertEquals(list.stdout, "constructor\ntoString\nhasOwnProperty\n", list.stderr);

  const down = await orch(p.path, ["down"]);
  assertEquals(down.code, 0, down.stderr);
  assert(!processAlive(pid), "orch has exited");
  await gone(`${p.path}/.orch/orch.json`);
  const log = await Deno.readTextFile(`${p.path}/.orch/orch.log`);
  assert(!/Uncaught|TypeError/.test(log), log);
});

Deno.test("scale constructor=1 on a stack without such a service is a 404, and the stack lives on", async () => {
  await using p = await project(`services:\n${service("a")}`);
  assertEquals((await orch(p.path, ["up", "-d", "--wait"])).code, 0);
  const scale = await orch(p.path, ["scale", "constructor=1"]);
  assertEquals(scale.code, 1);
  assertMatch(scale.stderr, /no service named "constructor"/);
  assertEquals((await orch(p.path, ["list"])).stdout, "a\n");
  assertEquals((await orch(p.path, ["restart"])).stdout, "a: restarted\n");
  const down = await orch(p.path, ["down"]);
  assertEquals(down.code, 0, down.stderr);
  await gone(`${p.path}/.orch/orch.json`);
});

Deno.test("a command line naming an inherited key is a usage error, not a crash", async () => {
  await using p = await project(`services:\n${service("a")}`);
  for (const args of [["constructor"], ["toString"], ["status", "--constructor"]]) {
    const run = await orch(p.path, args);
    assertEquals(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    assert(!/Uncaught|TypeError/.test(run.stderr), run.stderr);
  }
});

Deno.test("a service named __proto__ runs like any other", async () => {
  await using p = await project(`services:\n${service("__proto__")}${service("b")}`);
  const up = await orch(p.path, ["up", "-d", "--wait"]);
  assertEquals(up.code, 0, up.stderr);
  assertEquals((await orch(p.path, ["list"])).stdout, "__proto__\nb\n");
  assertEquals((await orch(p.path, ["restart", "__proto__"])).code, 0);
  assertEquals((await orch(p.path, ["scale", "__proto__=2"])).code, 0);
  assertMatch((await orch(p.path, ["status"])).stdout, /\n__proto__\s+\S+\s+\S+\s+\d\/2/);
  assertMatch((await orch(p.path, ["logs", "__proto__"])).stdout, /hello from __proto__/);
  assertEquals((await orch(p.path, ["down"])).code, 0);
  await gone(`${p.path}/.orch/orch.json`);
});
