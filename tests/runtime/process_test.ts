/**
 * Containment of process instances, on real processes and real cgroups: every mode this machine
 * has (cgroup v2, cgroup v1, markers), escapees that call setsid, exits, limits and usage.
 * The cgroup modes need root and mounted hierarchies; elsewhere those tests are skipped, saying why.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { testStack } from "../../src/testing/engine.ts";
import { processAlive } from "../../src/testing/recorder.ts";
import {
  cgroupsUnavailable,
  escapeePids,
  ESCAPEES,
  escapeesCommand,
  eventually,
  markedWith,
  yamlCommand,
} from "../../src/testing/containment.ts";
import type { ContainmentMode } from "../../src/runtime/cgroups/mod.ts";
import type { TestStack } from "../../src/testing/engine.ts";

const noCgroups = cgroupsUnavailable();
if (noCgroups) console.error(`tests/runtime: cgroup tests SKIPPED: ${noCgroups}`);
const MODES: ContainmentMode[] = ["cgroup2", "cgroup1", "marker"];

function lines(t: TestStack, service: string): string[] {
  return t.logs.recent({ services: [service] }).filter((r) => r.stream !== "orch").map((r) =>
    r.msg
  );
}

function alive(pids: readonly number[]): number[] {
  return pids.filter((p) => processAlive(p));
}

function cgroupOf(pid: number, controller: string): string | undefined {
  const text = Deno.readTextFileSync(`/proc/${pid}/cgroup`);
  const line = text.split("\n").find((l) =>
    controller === "" ? l.startsWith("0::") : l.split(":")[1]?.split(",").includes(controller)
  );
  return line?.slice(line.indexOf(":", line.indexOf(":") + 1) + 1);
}

for (const mode of MODES) {
  Deno.test({
    name: `stopping a service kills every escapee, stdout holders too (${mode})`,
    ignore: mode !== "marker" && noCgroups !== undefined,
    async fn() {
      await using t = await testStack(
        `services:\n  esc:\n    command: ${yamlCommand(escapeesCommand())}\n`,
        { containment: mode },
      );
      t.engine.start();
      await t.events.until(
        () => escapeePids(lines(t, "esc")).length === ESCAPEES,
        `${ESCAPEES} escapees`,
      );
      assertEquals((await t.runtime.containment()).mode, mode);
      const pids = escapeePids(lines(t, "esc"));
      assertEquals(alive(pids).length, ESCAPEES);
      const started = Date.now();
      t.engine.stopService("esc");
      await Promise.race([
        t.engine.settledService("esc"),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error("esc did not stop within 10 s")), 10_000)
        ),
      ]);
      assert(Date.now() - started < 10_000);
      assertEquals(alive(pids), [], "no escapee outlives the stop");
      assertEquals(markedWith(t.dir), [], "no process carries the project's marker");
    },
  });
}

for (const mode of MODES) {
  Deno.test({
    name:
      `a crash is seen though a setsid'd grandchild holds stdout; its last lines are kept (${mode})`,
    ignore: mode !== "marker" && noCgroups !== undefined,
    async fn() {
      await using t = await testStack(
        `services:
  crash:
    command: "setsid sh -c 'echo held $$$$ >&2; touch up; exec sleep 300' & while [ ! -e up ]; do sleep 0.01; done; seq 1 3000; echo bye; exit 3"
    restartPolicy: never
`,
        { containment: mode },
      );
      t.engine.start();
      await t.events.reached("crash", "failed", 10_000);
      const status = t.engine.status().find((s) => s.service === "crash")!;
      assertEquals(status.message, "exit code 3");
      // The grandchild keeps stdout (it says its pid on stderr, not to split seq's lines).
      const got = t.logs.recent({ services: ["crash"] }).filter((r) => r.stream === "stdout")
        .map((r) => r.msg);
      assertEquals(got.length, 3001, "every line printed before the exit is logged");
      assertEquals(got.at(-1), "bye");
      const held = Number(/held (\d+)/.exec(lines(t, "crash").join("\n"))![1]);
      await eventually(() => !processAlive(held), () => `the grandchild ${held} is gone`);
    },
  });
}

Deno.test({
  name: "resources.pids: a process cannot fork beyond its limit",
  ignore: noCgroups !== undefined,
  async fn() {
    await using t = await testStack(`services:
  forker:
    kind: oneshot
    command: ["python3", "-c", "import os, time\\nok = 0\\nfor i in range(30):\\n    try:\\n        if os.fork() == 0:\\n            time.sleep(30)\\n            os._exit(0)\\n        ok += 1\\n    except OSError:\\n        pass\\nprint('forked', ok)"]
    resources: { pids: 10 }
`);
    t.engine.start();
    await t.events.reached("forker", "completed", 20_000);
    const line = lines(t, "forker").find((l) => l.startsWith("forked "));
    assert(line, lines(t, "forker").join("\n"));
    const forked = Number(line.split(" ")[1]);
    assert(forked >= 1 && forked < 10, `forked ${forked} children under a limit of 10 processes`);
  },
});

Deno.test({
  name: "resources.memory: a hog is killed at its limit, and the exit says out of memory",
  ignore: noCgroups !== undefined,
  async fn() {
    await using t = await testStack(`services:
  hog:
    command: ["python3", "-c", "a = []\\nwhile True: a.append(b'x' * (1 << 20))"]
    resources: { memory: 48m }
    restartPolicy: never
`);
    t.engine.start();
    await t.events.reached("hog", "failed", 20_000);
    const status = t.engine.status().find((s) => s.service === "hog")!;
    assertMatch(status.message, /^killed by SIGKILL \(out of memory\)$/);
  },
});

Deno.test({
  name: "resources.cpus and memory are written to the instance's cgroups",
  ignore: noCgroups !== undefined,
  async fn() {
    await using t = await testStack(`services:
  calm:
    kind: daemon
    command: exec sleep 300
    resources: { cpus: 0.5, memory: 256m }
`);
    t.engine.start();
    await t.events.reached("calm", "ready");
    const pid = t.engine.status()[0].pid!;
    // The spawn wrapper moves itself into its cgroups, then execs: wait for the program.
    await eventually(
      () => Deno.readTextFileSync(`/proc/${pid}/cmdline`).startsWith("sleep"),
      () => `${pid} runs sleep`,
    );
    const setup = await t.runtime.containment();
    const cpu = setup.limits.cpus;
    assert(typeof cpu !== "string", `cpus: ${cpu}`);
    const unit = cgroupOf(pid, cpu.version === 2 ? "" : "cpu")!.split("/").pop();
    const quota = Deno.readTextFileSync(
      `${cpu.base}/${unit}/${cpu.version === 2 ? "cpu.max" : "cpu.cfs_quota_us"}`,
    ).trim();
    assertEquals(quota, cpu.version === 2 ? "50000 100000" : "50000");
    const memory = setup.limits.memory;
    assert(typeof memory !== "string", `memory: ${memory}`);
    const name = cgroupOf(pid, memory.version === 2 ? "" : "memory")!.split("/").pop();
    const limit = Deno.readTextFileSync(
      `${memory.base}/${name}/${memory.version === 2 ? "memory.max" : "memory.limit_in_bytes"}`,
    ).trim();
    assertEquals(limit, String(256 * 1024 * 1024));
  },
});

for (const mode of ["cgroup2", "marker"] as const) {
  Deno.test({
    name: `usage counts the memory of processes that left the group (${mode})`,
    ignore: mode !== "marker" && noCgroups !== undefined,
    async fn() {
      await using t = await testStack(
        `services:
  big:
    command: "setsid python3 -c 'import time; a = b\\"x\\" * (80 << 20); print(\\"full\\", flush=True); time.sleep(300)' & exec sleep 300"
`,
        { containment: mode },
      );
      t.engine.start();
      await t.events.until(() => lines(t, "big").includes("full"), "the escapee's 80 MB");
      await eventually(
        () => (t.engine.status({ usage: true })[0].usage?.rssBytes ?? 0) > 70 * 1024 * 1024,
        () => `usage ${JSON.stringify(t.engine.status({ usage: true })[0].usage)} > 70 MiB`,
      );
    },
  });
}

Deno.test({
  name: "a killed guard is noticed and replaced, with what it guarded",
  async fn() {
    await using t = await testStack(`services:\n  s: { kind: daemon, command: exec sleep 300 }\n`);
    t.engine.start();
    await t.events.reached("s", "ready");
    const first = t.runtime.guard.pid!;
    assert(processAlive(first));
    Deno.kill(first, "SIGKILL");
    await t.events.until(
      () => t.logs.recent({ services: ["orch"] }).some((r) => /guard process .* died/.test(r.msg)),
      "a note that the guard died",
    );
    const second = t.runtime.guard.pid!;
    assert(second !== first && processAlive(second), "a new guard runs");
    const note = t.logs.recent({ services: ["orch"] }).find((r) => /guard process/.test(r.msg))!;
    assertMatch(
      note.msg,
      new RegExp(`\\(pid ${first}\\) died \\(killed by SIGKILL\\); .*guards 1 unit`),
    );
  },
});
