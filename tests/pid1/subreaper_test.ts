/**
 * `orch up --init` when orch is not PID 1: it becomes a child subreaper, so its services' orphans
 * are re-parented to it (not to the real init) and reaped.
 */
import { assert, assertEquals } from "../assert.ts";
import { orchArgv } from "../../src/testing/cli.ts";
import { eventually } from "../../src/testing/namespace.ts";
import { tempDir } from "../../src/testing/recorder.ts";

function parentOf(pid: number): { ppid: number; pgid: number; state: string } | undefined {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: f[0], ppid: Number(f[1]), pgid: Number(f[2]) };
  } catch {
    return undefined;
  }
}

function zombieChildren(pid: number): number[] {
  const out: number[] = [];
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    const text = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`);
    for (const word of text.split(" ").filter(Boolean)) {
      if (parentOf(Number(word))?.state === "Z") out.push(Number(word));
    }
  }
  return out;
}

/** Runs a stack whose service leaves 20 orphans; returns where they went. */
async function orphansUnder(init: boolean) {
  await using dir = await tempDir();
  // Each orphan writes its pid, waits for the file `go`, and exits.
  await Deno.writeTextFile(
    `${dir.path}/stack.yaml`,
    `services:\n  maker:\n    command: "for i in $(seq 20); do (sh -c 'echo $$$$ >> pids; ` +
      `while [ ! -e go ]; do sleep 0.02; done' &); done; exec sleep 300"\n`,
  );
  const [program, ...args] = orchArgv();
  const child = new Deno.Command(program, {
    args: [...args, "up", "--no-tui", ...(init ? ["--init"] : [])],
    cwd: dir.path,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const pids = async () =>
    (await Deno.readTextFile(`${dir.path}/pids`).catch(() => "")).trim().split("\n")
      .filter(Boolean).map(Number);
  try {
    await eventually(async () => (await pids()).length === 20, "20 orphans to start", 15_000);
    const orphans = await pids();
    // The subshells that started them (in the service's process group, as the orphans are) exit
    // at once: the orphans get a new parent from outside the group.
    const moved = (pid: number) => {
      const self = parentOf(pid);
      return self !== undefined && parentOf(self.ppid)?.pgid !== self.pgid;
    };
    await eventually(() => orphans.every(moved), "orphans re-parented");
    const parents = orphans.map((p) => parentOf(p)?.ppid);
    await Deno.writeTextFile(`${dir.path}/go`, "");
    await eventually(() => orphans.every((p) => parentOf(p)?.state !== "S"), "orphans to exit");
    let zombies: number[] = [];
    if (init) {
      // Reaped means gone from /proc; an orphan still running its last test of `go` when the
      // others have exited is no zombie yet, so wait for each to be gone, not for a moment
      // without zombies.
      await eventually(
        () => orphans.every((p) => parentOf(p) === undefined),
        "every orphan reaped by orch",
      );
      zombies = zombieChildren(child.pid).filter((p) => orphans.includes(p));
    }
    return { orch: child.pid, parents, zombies };
  } finally {
    child.kill("SIGTERM");
    await child.output();
  }
}

Deno.test("up --init: orch is a child subreaper; its services' orphans come to it and are reaped", async () => {
  const [withInit, without] = await Promise.all([orphansUnder(true), orphansUnder(false)]);
  assertEquals(withInit.parents, withInit.parents.map(() => withInit.orch));
  assertEquals(withInit.zombies, []);
  // Without --init they go to whichever init or subreaper is above orch, never to orch.
  assert(without.parents.every((p) => p !== without.orch), `parents: ${without.parents}`);
});
