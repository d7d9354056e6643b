/**
 * Cleaning up after a crashed orch. While orch runs, `.orch/pgids` lists its live process groups and
 * `.orch/cgroups` its instances' cgroup directories (both rewritten atomically). The next `up` or
 * `down` of the project kills what is left: every cgroup of the project (recorded, or found under the
 * project's directory in each hierarchy), the recorded groups that still carry the project's
 * marker, and every process marked with the project; then removes the cgroups.
 *
 * @module
 */
import { shortHash } from "../../domain/mod.ts";
import { parseMounts } from "../cgroups/mod.ts";
import { killDir, pidsIn } from "./cgroup.ts";
import { killUntilNone, markedProject, MARKER } from "./markers.ts";
import { scanProcesses } from "./procstat.ts";

export { MARKER };

function hasMarker(pid: number, project: string): boolean {
  try {
    const environ = Deno.readTextFileSync(`/proc/${pid}/environ`);
    return environ.split("\0").includes(`${MARKER}=${project}`);
  } catch {
    return false;
  }
}

function readLines(file: string): string[] {
  try {
    return Deno.readTextFileSync(file).split("\n").map((l) => l.trim()).filter(Boolean);
  } catch {
    return [];
  }
}

function mounts() {
  const read = (p: string) => {
    try {
      return Deno.readTextFileSync(p);
    } catch {
      return "";
    }
  };
  return parseMounts(read("/proc/self/mountinfo"), read("/proc/self/cgroup"));
}

/** The project's cgroup directories that may hold leftovers: recorded ones and those found. */
function projectCgroups(recorded: readonly string[], hash: string): string[] {
  const all = mounts();
  const dirs = new Set<string>();
  // A recorded path is trusted only if it is a project unit under a cgroup mount.
  for (const dir of recorded) {
    if (dir.includes("/../") || !dir.includes(`/orch/${hash}/`)) continue;
    if (!all.some((m) => dir.startsWith(`${m.mountPoint}/`))) continue;
    dirs.add(dir);
  }
  for (const m of all) {
    const base = `${m.own}/orch/${hash}`;
    try {
      for (const entry of Deno.readDirSync(base)) {
        if (entry.isDirectory) dirs.add(`${base}/${entry.name}`);
      }
    } catch {
      // none here
    }
  }
  return [...dirs];
}

function removeTree(dir: string): void {
  try {
    for (const entry of Deno.readDirSync(dir)) {
      if (entry.isDirectory) removeTree(`${dir}/${entry.name}`);
    }
    Deno.removeSync(dir);
  } catch {
    // gone, or still busy
  }
}

/**
 * Kills what a crashed orch of `project` left, as recorded in `stateDir`, and removes its cgroups.
 *
 * @returns The process ids killed.
 */
export async function killLeftovers(stateDir: string, project: string): Promise<number[]> {
  const killed = new Set<number>();
  const hash = await shortHash(project);
  for (const dir of projectCgroups(readLines(`${stateDir}/cgroups`), hash)) {
    for (const pid of pidsIn(dir)) killed.add(pid);
    await killDir(dir, 2_000);
    removeTree(dir);
  }
  for (const m of mounts()) {
    // The project's directory, and the shared parent when no other project uses it.
    removeTree(`${m.own}/orch/${hash}`);
    try {
      Deno.removeSync(`${m.own}/orch`);
    } catch {
      // in use, or not there
    }
  }
  const groups = readLines(`${stateDir}/pgids`).map(Number).filter((g) =>
    Number.isInteger(g) && g > 1
  );
  if (groups.length > 0) {
    const byGroup = new Map<number, number[]>();
    for (const p of scanProcesses()) {
      if (groups.includes(p.pgid)) byGroup.set(p.pgid, [...(byGroup.get(p.pgid) ?? []), p.pid]);
    }
    for (const [pgid, members] of byGroup) {
      const marked = members.filter((pid) => hasMarker(pid, project));
      if (marked.length === 0) continue;
      for (const pid of marked) killed.add(pid);
      try {
        Deno.kill(-pgid, "SIGKILL");
      } catch {
        for (const pid of marked) {
          try {
            Deno.kill(pid, "SIGKILL");
          } catch {
            // already gone
          }
        }
      }
    }
  }
  for (const pid of await killUntilNone(() => markedProject(project))) killed.add(pid);
  for (const file of ["pgids", "cgroups"]) {
    try {
      Deno.removeSync(`${stateDir}/${file}`);
    } catch {
      // nothing to remove
    }
  }
  return [...killed];
}

/**
 * Keeps `pgids` and `cgroups` listing what is live, rewritten (atomically) a moment after a change,
 * so that a fan-out of starts costs one write. The guard is what acts on a crash; these files are
 * for when even it could not (and the project's marker and cgroup directories cover the moment).
 */
export class UnitRecord {
  readonly #dir: string;
  readonly #groups = new Set<number>();
  readonly #cgroups = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #dirty = { groups: false, cgroups: false };

  /** Records under `stateDir` (`.orch/`). */
  constructor(stateDir: string) {
    this.#dir = stateDir;
  }

  /** Records a live process group and the unit's cgroup directories. */
  add(pgid: number, cgroups: readonly string[] = []): void {
    this.#groups.add(pgid);
    for (const dir of cgroups) this.#cgroups.add(dir);
    this.#schedule(cgroups.length > 0);
  }

  /** Forgets a group and cgroups that are gone. */
  remove(pgid: number, cgroups: readonly string[] = []): void {
    this.#groups.delete(pgid);
    for (const dir of cgroups) this.#cgroups.delete(dir);
    this.#schedule(cgroups.length > 0);
  }

  #schedule(cgroups: boolean): void {
    this.#dirty.groups = true;
    if (cgroups) this.#dirty.cgroups = true;
    if (this.#timer !== undefined) return;
    const timer = setTimeout(() => this.flush(), RECORD_DELAY_MS);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /** Writes what changed now. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#dirty.groups) write(`${this.#dir}/pgids`, [...this.#groups]);
    if (this.#dirty.cgroups) write(`${this.#dir}/cgroups`, [...this.#cgroups]);
    this.#dirty = { groups: false, cgroups: false };
  }
}

/** How long after a change the record is written. */
const RECORD_DELAY_MS = 25;

function write(file: string, lines: readonly (string | number)[]): void {
  try {
    if (lines.length === 0) {
      Deno.removeSync(file);
      return;
    }
    const tmp = `${file}.tmp`;
    Deno.writeTextFileSync(tmp, lines.join("\n") + "\n", { mode: 0o600 });
    Deno.renameSync(tmp, file);
  } catch {
    // the state directory is gone or unwritable (or nothing to remove): the guard still covers us
  }
}
