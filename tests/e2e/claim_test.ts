/**
 * `orch up` claims its project while the config loads (src/cli/up_early.ts): a config that does
 * not load leaves nothing of the run behind, and a project another orch runs is left to it.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { shortHash } from "../../src/domain/mod.ts";
import { runOrch } from "../../src/testing/cli.ts";
import { exists, project, runFile } from "../../src/testing/project.ts";
import { processAlive, tempDir } from "../../src/testing/recorder.ts";
import { ECHO_TICKER_STACK } from "../../src/testing/fixtures.ts";

const BROKEN = `services:
  web:
    command: sleep 30
    replicas: many
`;

/** What a run may leave: its run file, its socket, its registry entries, its cgroup directories. */
async function leftBehind(dir: string, tmp: string): Promise<string[]> {
  const found: string[] = [];
  if (await exists(`${dir}/.orch`)) {
    for await (const entry of Deno.readDir(`${dir}/.orch`)) found.push(`.orch/${entry.name}`);
  }
  const running = `${tmp}/orch-${Deno.uid()}/running`;
  if (await exists(running)) {
    for await (const entry of Deno.readDir(running)) found.push(`${running}/${entry.name}`);
  }
  const hash = await shortHash(dir);
  if (await exists("/sys/fs/cgroup")) {
    for await (const mount of Deno.readDir("/sys/fs/cgroup")) {
      const own = `/sys/fs/cgroup/${mount.name}/orch/${hash}`;
      if (await exists(own)) found.push(own);
    }
    if (await exists(`/sys/fs/cgroup/orch/${hash}`)) found.push(`/sys/fs/cgroup/orch/${hash}`);
  }
  return found;
}

Deno.test("a config that does not load leaves no run file, registry entry or cgroup directory", async () => {
  await using dir = await tempDir();
  await using tmp = await tempDir();
  await Deno.writeTextFile(`${dir.path}/stack.yaml`, BROKEN);
  const up = await runOrch(dir.path, ["up", "--no-tui"], { TMPDIR: tmp.path }, {
    timeoutMs: 60_000,
  });
  assert(up.code !== 0, `up failed: ${up.stdout}${up.stderr}`);
  assertMatch(up.stderr, /stack\.yaml:4:\d+.*replicas/);
  assertEquals(await leftBehind(dir.path, tmp.path), []);
  // And the next up of a fixed config runs: nothing stale is in its way.
  await Deno.writeTextFile(
    `${dir.path}/stack.yaml`,
    "services:\n  one:\n    command: echo hi\n    restartPolicy: { policy: never }\n",
  );
  const fixed = await runOrch(dir.path, ["up", "--no-tui"], { TMPDIR: tmp.path }, {
    timeoutMs: 60_000,
  });
  assertEquals(fixed.code, 0, fixed.stderr);
  assertMatch(fixed.stdout, /one +\| hi/);
  // What a run keeps (its logs, its lock, the config cache), and nothing of the run itself.
  const kept = await leftBehind(dir.path, tmp.path);
  assert(
    !kept.includes(".orch/orch.json") && !kept.some((k) => k.includes("/running/")),
    `${kept}`,
  );
});

Deno.test("up of a project another orch runs fails naming it, and leaves that orch's files alone", async () => {
  await using p = await project(ECHO_TICKER_STACK);
  const first = await runOrch(p.path, ["up", "-d", "--wait", "--timeout", "30s"]);
  assertEquals(first.code, 0, first.stderr);
  const before = runFile(p.path);
  const again = await runOrch(p.path, ["up", "--no-tui"], {}, { timeoutMs: 60_000 });
  assertEquals(again.code, 1, again.stderr);
  assertMatch(again.stderr, new RegExp(`already running this project \\(pid ${before.pid},`));
  // With a config that does not load, the config's error is what it says; still nothing undone.
  await Deno.writeTextFile(`${p.path}/broken.yaml`, BROKEN);
  const broken = await runOrch(p.path, ["up", "--no-tui", "-f", "broken.yaml"], {}, {
    timeoutMs: 60_000,
  });
  assert(broken.code !== 0);
  assertMatch(broken.stderr, /broken\.yaml:4:\d+.*replicas/);
  assertEquals(runFile(p.path), before);
  assert(processAlive(before.pid), "the first orch runs on");
  const status = await runOrch(p.path, ["status"]);
  assertEquals(status.code, 0, status.stderr);
  assertMatch(status.stdout, /ticker/);
});
