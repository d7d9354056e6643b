/**
 * One instance's cgroups: made before its process starts (the spawn wrapper moves itself in before
 * it execs, so that nothing escapes between spawn and placement), limited, listed, killed as a whole
 * and removed once empty.
 *
 * Killing: cgroup v2 writes `cgroup.kill` (atomic, forks included). cgroup v1 freezes the `freezer`
 * cgroup, SIGKILLs every process listed, thaws, and repeats until it is empty, as systemd does on v1;
 * without a freezer (a `pids` hierarchy only) it repeats the kill until no new process appears.
 *
 * @module
 */
import { OrchError, type Resources, type Usage } from "../../domain/mod.ts";
import type { CgroupSetup, Hierarchy, Limit } from "../cgroups/mod.ts";
import { PAGE_SIZE, readProcess, TICKS_PER_SECOND } from "./procstat.ts";

/** The cgroups of one instance. */
export interface CgroupUnit {
  /** `<instance>@<run>.<n>`: the directory name in every hierarchy. */
  readonly name: string;
  /** The directory every process of the instance is in (v2, or v1 freezer/pids). */
  readonly track: string;
  readonly v2: boolean;
  /** Every directory of the unit, the tracking one first. */
  readonly dirs: readonly string[];
  /** The directory with the memory controller, when the unit has one. */
  readonly memory: { readonly dir: string; readonly v2: boolean } | undefined;
  /** v1 cpuacct, when CPU time is read there. */
  readonly cpuacct: string | undefined;
}

function write(path: string, value: string): void {
  Deno.writeTextFileSync(path, value, { create: false });
}

function read(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

function field(text: string, key: string): number | undefined {
  const match = new RegExp(`^${key} (\\d+)$`, "m").exec(text);
  return match ? Number(match[1]) : undefined;
}

function problemOf(error: unknown): string {
  return error instanceof Deno.errors.PermissionDenied
    ? "permission denied"
    : (error as Error).message.replace(/,? (?:write|open|mkdir) '[^']*'$/, "");
}

/** The files to write a limit to, per hierarchy version. */
function limitFiles(limit: Limit, value: number, v2: boolean): [string, string][] {
  switch (limit) {
    case "memory":
      return v2
        ? [["memory.max", String(value)], ["memory.swap.max", "0"], ["memory.oom.group", "1"]]
        : [["memory.limit_in_bytes", String(value)], [
          "memory.memsw.limit_in_bytes",
          String(value),
        ]];
    case "cpus": {
      const period = 100_000;
      const quota = Math.max(1_000, Math.round(value * period));
      return v2
        ? [["cpu.max", `${quota} ${period}`]]
        : [["cpu.cfs_period_us", String(period)], ["cpu.cfs_quota_us", String(quota)]];
    }
    case "pids":
      return [["pids.max", String(value)]];
  }
}

const OPTIONAL = new Set(["memory.swap.max", "memory.oom.group", "memory.memsw.limit_in_bytes"]);

/**
 * Makes the unit's directories and writes its limits. Limits that cannot be applied are returned as
 * sentences (the preflight already warned); a directory that cannot be made fails the start.
 *
 * @throws {OrchError} when a cgroup cannot be created.
 */
export function createUnit(
  setup: CgroupSetup,
  name: string,
  resources: Resources | undefined,
): { unit: CgroupUnit; problems: string[] } {
  const track = setup.track!;
  const hierarchies = new Set<Hierarchy>([track]);
  const problems: string[] = [];
  const wanted: [Limit, number][] = [];
  if (resources?.memoryBytes !== undefined) wanted.push(["memory", resources.memoryBytes]);
  if (resources?.cpus !== undefined) wanted.push(["cpus", resources.cpus]);
  if (resources?.pids !== undefined) wanted.push(["pids", resources.pids]);
  for (const [limit] of wanted) {
    const where = setup.limits[limit];
    if (typeof where !== "string") hierarchies.add(where);
  }
  if (setup.cpuacct) hierarchies.add(setup.cpuacct);
  const made: string[] = [];
  for (const h of hierarchies) {
    const dir = `${h.base}/${name}`;
    try {
      Deno.mkdirSync(dir);
      made.push(dir);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        // The project's directory went away (removed by hand, or by a cleanup): make it again.
        try {
          Deno.mkdirSync(dir, { recursive: true });
          made.push(dir);
          continue;
        } catch {
          // reported below
        }
      }
      for (const d of made.reverse()) removeDir(d);
      throw new OrchError(`cannot create the cgroup ${dir}: ${problemOf(error)}`);
    }
  }
  const dirOf = (h: Hierarchy) => `${h.base}/${name}`;
  for (const [limit, value] of wanted) {
    const where = setup.limits[limit];
    if (typeof where === "string") {
      problems.push(`resources.${limit} is not applied: ${where}`);
      continue;
    }
    for (const [file, text] of limitFiles(limit, value, where.version === 2)) {
      try {
        write(`${dirOf(where)}/${file}`, text);
      } catch (error) {
        if (!OPTIONAL.has(file)) {
          problems.push(`resources.${limit} is not applied: ${file}: ${problemOf(error)}`);
        }
      }
    }
  }
  const memory = setup.limits.memory;
  const memoryDir = resources?.memoryBytes !== undefined && typeof memory !== "string"
    ? { dir: dirOf(memory), v2: memory.version === 2 }
    : undefined;
  return {
    unit: {
      name,
      track: dirOf(track),
      v2: track.version === 2,
      dirs: [...hierarchies].map(dirOf),
      memory: memoryDir,
      cpuacct: setup.cpuacct ? dirOf(setup.cpuacct) : undefined,
    },
    problems,
  };
}

/** A cgroup directory and every cgroup below it (services may make their own), deepest first. */
function tree(dir: string): string[] {
  // v2 says whether there is anything below; one read instead of listing the directory.
  if (field(read(`${dir}/cgroup.stat`), "nr_descendants") === 0) return [dir];
  const out: string[] = [];
  const walk = (d: string) => {
    try {
      for (const entry of Deno.readDirSync(d)) {
        if (entry.isDirectory) walk(`${d}/${entry.name}`);
      }
    } catch {
      return;
    }
    out.push(d);
  };
  walk(dir);
  return out;
}

/** The processes in a cgroup directory and below. */
export function pidsIn(dir: string): number[] {
  const pids: number[] = [];
  for (const d of tree(dir)) {
    for (const line of read(`${d}/cgroup.procs`).split("\n")) {
      const pid = Number(line);
      if (line !== "" && Number.isInteger(pid)) pids.push(pid);
    }
  }
  return pids;
}

/** The processes of the unit. */
export function unitPids(unit: CgroupUnit): number[] {
  return pidsIn(unit.track);
}

/** Whether no process is left in the unit (v2: `cgroup.events` says so for the whole subtree). */
export function unitEmpty(unit: CgroupUnit): boolean {
  if (unit.v2) {
    const events = read(`${unit.track}/cgroup.events`);
    if (events !== "") return field(events, "populated") === 0;
  }
  return pidsIn(unit.track).length === 0;
}

/** Sends `signal` to every process of the unit. */
export function signalUnit(unit: CgroupUnit, signal: Deno.Signal): void {
  for (const pid of unitPids(unit)) {
    try {
      Deno.kill(pid, signal);
    } catch {
      // gone meanwhile
    }
  }
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Kills every process of a cgroup directory and its subtree. v2: `cgroup.kill`. v1: freeze, SIGKILL
 * what is listed, thaw, until empty. Resolves true once it is empty, false if it is not within
 * `withinMs` (a process stuck in the kernel).
 */
export async function killDir(dir: string, withinMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  if (existsSync(`${dir}/cgroup.kill`)) {
    try {
      write(`${dir}/cgroup.kill`, "1");
    } catch {
      // the directory is gone: nothing to kill
      return true;
    }
    while (Date.now() < deadline) {
      const events = read(`${dir}/cgroup.events`);
      if (events === "" || field(events, "populated") === 0) return true;
      await tick(2);
    }
    return false;
  }
  const dirs = tree(dir);
  const freezers = dirs.filter((d) => existsSync(`${d}/freezer.state`));
  for (let round = 0; Date.now() < deadline; round++) {
    const pids = pidsIn(dir);
    if (pids.length === 0) return true;
    for (const d of freezers) trySet(`${d}/freezer.state`, "FROZEN");
    for (const pid of pids) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
    for (const d of freezers) trySet(`${d}/freezer.state`, "THAWED");
    await tick(round < 5 ? 1 : 10);
  }
  return pidsIn(dir).length === 0;
}

function trySet(path: string, value: string): void {
  try {
    write(path, value);
  } catch {
    // gone meanwhile
  }
}

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Kills every process of the unit (see {@link killDir}), in every hierarchy it has. */
export async function killUnit(unit: CgroupUnit, withinMs = 5_000): Promise<boolean> {
  const done = await killDir(unit.track, withinMs);
  // The other hierarchies hold the same processes; anything there moved by hand is killed too.
  for (const dir of unit.dirs.slice(1)) {
    if (pidsIn(dir).length > 0) await killDir(dir, 1_000);
  }
  return done;
}

function removeDir(dir: string): boolean {
  try {
    Deno.removeSync(dir);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return true;
    // not empty: cgroups of its own below it
  }
  let ok = true;
  for (const d of tree(dir)) {
    try {
      Deno.removeSync(d);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) ok = false;
    }
  }
  return ok;
}

/** Removes the unit's (empty) directories; false when one could not be removed. */
export function removeUnit(unit: CgroupUnit): boolean {
  let ok = true;
  for (const dir of unit.dirs) ok = removeDir(dir) && ok;
  return ok;
}

/** Whether the kernel's OOM killer has killed a process of the unit. */
export function unitOomKilled(unit: CgroupUnit): boolean {
  if (!unit.memory) return false;
  const text = read(
    `${unit.memory.dir}/${unit.memory.v2 ? "memory.events" : "memory.oom_control"}`,
  );
  return (field(text, "oom_kill") ?? 0) > 0;
}

/**
 * CPU time and memory of the unit from its cgroups: CPU from v2 `cpu.stat` (or v1 `cpuacct.usage`),
 * which counts processes that have already exited too; memory from the memory controller (usage
 * less inactive file cache, as `docker stats` counts it), else (no controller, or nothing charged
 * to it yet) the resident memory of its processes.
 */
export function unitUsage(unit: CgroupUnit): Usage {
  let cpuSeconds: number | undefined;
  if (unit.v2) {
    const usec = field(read(`${unit.track}/cpu.stat`), "usage_usec");
    if (usec !== undefined) cpuSeconds = usec / 1e6;
  }
  if (cpuSeconds === undefined && unit.cpuacct) {
    const ns = Number(read(`${unit.cpuacct}/cpuacct.usage`).trim());
    if (Number.isFinite(ns)) cpuSeconds = ns / 1e9;
  }
  let rssBytes: number | undefined;
  if (unit.memory) {
    const stat = read(`${unit.memory.dir}/memory.stat`);
    const usage = Number(
      read(`${unit.memory.dir}/${unit.memory.v2 ? "memory.current" : "memory.usage_in_bytes"}`)
        .trim(),
    );
    const inactive = field(stat, unit.memory.v2 ? "inactive_file" : "total_inactive_file") ?? 0;
    // Pages charged elsewhere before the move (shared libraries, a fresh exec) are not counted
    // here: a unit that reads as 0 right after its start falls back to its processes' memory.
    if (Number.isFinite(usage) && usage - inactive > 0) rssBytes = usage - inactive;
  }
  if (cpuSeconds === undefined || rssBytes === undefined) {
    let ticks = 0;
    let pages = 0;
    for (const pid of unitPids(unit)) {
      const info = readProcess(pid);
      if (!info) continue;
      ticks += info.ticks;
      pages += info.rssPages;
    }
    cpuSeconds ??= ticks / TICKS_PER_SECOND;
    rssBytes ??= pages * PAGE_SIZE;
  }
  return { cpuSeconds, rssBytes };
}
