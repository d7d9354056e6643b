/**
 * Nothing a service starts outlives orch: a real background orch (`up -d`) runs a service whose
 * descendants call setsid (some keep its stdout); after `orch down`, after a SIGKILL of orch, and
 * after the guard was killed first, none of them lives (by pid and by marker). In each containment
 * mode this machine has; the cgroup ones need root.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { processAlive, tempDir } from "../../src/testing/recorder.ts";
import { runOrch } from "../../src/testing/cli.ts";
import {
  cgroupsUnavailable,
  ESCAPEES,
  escapeesCommand,
  eventually,
  markedWith,
  projectCgroupDirs,
  yamlCommand,
} from "../../src/testing/containment.ts";
import { shortHash } from "../../src/domain/plan.ts";

const noCgroups = cgroupsUnavailable();
const MODES = ["auto", "cgroup1", "marker"] as const;
type Mode = typeof MODES[number];

function runFile(dir: string): { pid: number } {
  return JSON.parse(Deno.readTextFileSync(`${dir}/.orch/orch.json`));
}

function pidsIn(file: string): number[] {
  try {
    return Deno.readTextFileSync(file).split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A background orch running the escapee stack; killed and cleaned up on dispose. */
async function escapeeStack(mode: Mode) {
  const dir = await tempDir();
  const pidFile = `${dir.path}/escapees`;
  await Deno.writeTextFile(
    `${dir.path}/stack.yaml`,
    `services:\n  esc:\n    command: ${yamlCommand(escapeesCommand({ pidFile }))}\n` +
      `    stop: { timeout: 3s }\n`,
  );
  const env = { ORCH_CONTAINMENT: mode };
  const up = await runOrch(dir.path, ["up", "-d", "--wait", "--timeout", "30s"], env);
  assertEquals(up.code, 0, up.stdout + up.stderr);
  await eventually(
    () => pidsIn(pidFile).length === ESCAPEES,
    () => `${ESCAPEES} escapees started (${pidsIn(pidFile).length})`,
    20_000,
  );
  const pids = pidsIn(pidFile);
  assertEquals(pids.filter(processAlive).length, ESCAPEES);
  return {
    path: dir.path,
    pids,
    orch: runFile(dir.path).pid,
    env,
    async [Symbol.asyncDispose]() {
      for (const pid of [...pids, ...markedWith(dir.path)]) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // gone, as it should be
        }
      }
      await runOrch(dir.path, ["down", "--timeout", "2s"], env);
      await dir[Symbol.asyncDispose]();
    },
  };
}

async function noneLeft(s: { path: string; pids: number[] }): Promise<void> {
  await eventually(
    () => s.pids.every((p) => !processAlive(p)) && markedWith(s.path).length === 0,
    () =>
      `every escapee gone: alive ${JSON.stringify(s.pids.filter(processAlive))}, marked ${
        JSON.stringify(markedWith(s.path))
      }`,
    10_000,
  );
}

/** The guard of the orch with pid `orch`: its child carrying ORCH_GUARD. */
function guardOf(orch: number): number | undefined {
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== orch) continue;
      if (Deno.readTextFileSync(`/proc/${entry.name}/environ`).includes("\0ORCH_GUARD=")) {
        return Number(entry.name);
      }
    } catch {
      // gone
    }
  }
  return undefined;
}

for (const mode of MODES) {
  const ignore = mode !== "marker" && noCgroups !== undefined;
  Deno.test({
    name: `orch down ends, and no escapee outlives it (${mode})`,
    ignore,
    async fn() {
      await using s = await escapeeStack(mode);
      const started = Date.now();
      const down = await runOrch(s.path, ["down"], s.env);
      assertEquals(down.code, 0, down.stdout + down.stderr);
      assertMatch(down.stdout, /is down/);
      assert(Date.now() - started < 15_000, `down took ${Date.now() - started} ms`);
      await noneLeft(s);
      assert(!processAlive(s.orch));
      assertEquals(projectCgroupDirs(await shortHash(s.path)), [], "no cgroup is left");
    },
  });

  Deno.test({
    name: `no escapee outlives a SIGKILLed orch (${mode})`,
    ignore,
    async fn() {
      await using s = await escapeeStack(mode);
      const hash = await shortHash(s.path);
      if (mode !== "marker") assert(projectCgroupDirs(hash).length > 0, "the project has cgroups");
      Deno.kill(s.orch, "SIGKILL");
      await noneLeft(s);
      // The guard removes the cgroups too, the project's directories with them.
      await eventually(
        () => projectCgroupDirs(hash).length === 0,
        () => `cgroups removed: ${projectCgroupDirs(hash).join(", ")}`,
      );
    },
  });
}

Deno.test({
  name: "a killed guard is replaced: a SIGKILL of orch afterwards still leaves nothing",
  async fn() {
    await using s = await escapeeStack(noCgroups ? "marker" : "auto");
    const first = guardOf(s.orch);
    assert(first, "orch has a guard");
    Deno.kill(first, "SIGKILL");
    let second: number | undefined;
    await eventually(() => {
      second = guardOf(s.orch);
      return second !== undefined && second !== first;
    }, () => "a new guard");
    Deno.kill(s.orch, "SIGKILL");
    await noneLeft(s);
    await eventually(() => !processAlive(second!), () => `the new guard ${second} ends`);
  },
});

Deno.test({
  name: "down (no orch running) kills and removes the cgroups a crashed orch left",
  ignore: noCgroups !== undefined,
  async fn() {
    await using dir = await tempDir();
    await Deno.writeTextFile(`${dir.path}/stack.yaml`, `services:\n  x: { command: "true" }\n`);
    await Deno.mkdir(`${dir.path}/.orch`);
    // A unit cgroup as a crashed orch leaves it: under orch/<project hash>/, with a process that
    // carries no marker at all (it cleared its environment), so only the cgroup finds it.
    const own = Deno.readTextFileSync("/proc/self/cgroup").split("\n").find((l) =>
      l.startsWith("0::")
    )?.slice(3);
    assert(own !== undefined, "a cgroup v2 hierarchy");
    const base = `/sys/fs/cgroup/unified${own === "/" ? "" : own}/orch/${await shortHash(
      dir.path,
    )}`;
    const unit = `${base}/left@0`;
    await Deno.mkdir(unit, { recursive: true });
    const child = new Deno.Command("sh", {
      args: ["-c", `echo $$ >${unit}/cgroup.procs; exec env -i setsid sleep 300`],
      stdout: "null",
      stderr: "null",
    }).spawn();
    await eventually(
      () => Deno.readTextFileSync(`${unit}/cgroup.procs`).trim() !== "",
      () => "the leftover is in its cgroup",
    );
    await Deno.writeTextFile(`${dir.path}/.orch/cgroups`, `${unit}\n`);
    const down = await runOrch(dir.path, ["down"]);
    assertEquals(down.code, 0, down.stderr);
    assertMatch(down.stdout, /killed 1 process\(es\) left by an earlier orch/);
    assertEquals((await child.status).signal, "SIGKILL");
    let exists = true;
    try {
      Deno.statSync(unit);
    } catch {
      exists = false;
    }
    assert(!exists, `${unit} is removed`);
  },
});

Deno.test("a limit that cannot be applied is a preflight warning naming the service and why", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir.path}/stack.yaml`,
    `services:\n  api:\n    kind: oneshot\n    command: "true"\n` +
      `    resources: { memory: 64m, pids: 20 }\n`,
  );
  const env = { ORCH_CONTAINMENT: "marker" };
  for (const args of [["validate"], ["up", "--no-tui"]]) {
    const run = await runOrch(dir.path, args, env);
    assertEquals(run.code, 0, run.stdout + run.stderr);
    assertMatch(
      run.stderr,
      /warning: api\.resources\.memory: not applied on this machine: containment is set to marker \(ORCH_CONTAINMENT\)\n/,
    );
    assertMatch(run.stderr, /warning: api\.resources\.pids: not applied on this machine: /);
  }
  const bad = await runOrch(dir.path, ["validate"], { ORCH_CONTAINMENT: "cgroups" });
  assertEquals(bad.code, 2);
  assertMatch(
    bad.stderr,
    /ORCH_CONTAINMENT: "cgroups" is not one of auto, cgroup2, cgroup1, marker/,
  );
});
