/**
 * `orch logs` once the stack is down reads what `.orch/logs` kept, with the same filters as on a
 * running stack.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { runOrch } from "../../src/testing/cli.ts";
import { tempDir } from "../../src/testing/recorder.ts";

const STACK = `
services:
  api:
    kind: oneshot
    replicas: 2
    command: "echo api $ORCH_REPLICA up; echo 'WARN api slow'"
  job:
    kind: oneshot
    command: "for i in 1 2 3 4 5; do echo job $i; done"
    dependsOn: [api]
`;

Deno.test("orch logs with nothing running reads the persisted logs, with the same filters", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/stack.yaml`, STACK);
  const first = await runOrch(dir.path, ["up", "--no-tui"]);
  assertEquals(first.code, 0, first.stdout + first.stderr);
  // The run before: an older generation, as rotation leaves it.
  await Deno.rename(`${dir.path}/.orch/logs/orch.ndjson`, `${dir.path}/.orch/logs/orch.ndjson.1`);
  const between = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 5)); // two runs a few milliseconds apart, for --since
  assertEquals((await runOrch(dir.path, ["up", "--no-tui"])).code, 0);

  const all = await runOrch(dir.path, ["logs"]);
  assertEquals(all.code, 0, all.stderr);
  assertMatch(all.stderr, /no orch is running for .*; these are the logs it kept/);
  const lines = all.stdout.trim().split("\n");
  assertEquals(lines.length, 2 * 9, all.stdout);
  assertEquals(lines.filter((l) => /^job\s+\| job 5$/.test(l)).length, 2);
  assertMatch(all.stdout, /^api\.1\s+\| api 1 up$/m);
  assert(all.stdout.indexOf("job 5") < all.stdout.lastIndexOf("api 0 up"), "oldest run first");

  const tail = await runOrch(dir.path, ["logs", "job", "-n", "2"]);
  assertEquals(tail.stdout, "job  | job 4\njob  | job 5\n");
  const warn = await runOrch(dir.path, ["logs", "--level", "warn"]);
  assertEquals(warn.stdout.trim().split("\n").length, 4);
  assert(warn.stdout.split("\n").every((l) => l === "" || l.endsWith("WARN api slow")));
  const since = await runOrch(dir.path, ["logs", "--since", between, "--json", "api"]);
  const records = since.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(records.map((r) => r.msg).sort(), [
    "WARN api slow",
    "WARN api slow",
    "api 0 up",
    "api 1 up",
  ]);
  // From a subdirectory: the nearest project upward with logs.
  await Deno.mkdir(`${dir.path}/sub`);
  assertEquals((await runOrch(`${dir.path}/sub`, ["logs", "-n", "1"])).stdout, "job  | job 5\n");

  const follow = await runOrch(dir.path, ["logs", "-f"]);
  assertEquals(follow.code, 1);
  assertMatch(follow.stderr, /^orch: no orch is running for .*: nothing to follow/);
  const typo = await runOrch(dir.path, ["logs", "jobs"]);
  assertEquals([typo.code, typo.stderr], [
    1,
    'orch: no service named "jobs" (did you mean "job"?)\n',
  ]);
});
