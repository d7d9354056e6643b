/**
 * Every process of one instance, however far it went: its cgroup when orch has one (nothing leaves a
 * cgroup by itself), else its process group plus whatever carries its `ORCH_UNIT` marker (what called
 * `setsid` is found that way).
 *
 * @module
 */
import type { Usage } from "../../domain/mod.ts";
import {
  type CgroupUnit,
  killUnit,
  removeUnit,
  signalUnit,
  unitEmpty,
  unitOomKilled,
  unitPids,
  unitUsage,
} from "./cgroup.ts";
import { killUntilNone, markedUnit } from "./markers.ts";
import { groupUsage, PAGE_SIZE, readProcess, scanProcesses, TICKS_PER_SECOND } from "./procstat.ts";

function signalGroup(pgid: number, signal: Deno.Signal): boolean {
  try {
    Deno.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

let groups: { at: number; alive: Set<number> } | undefined;
/** Whether any process is in group `pgid` (from a scan at most a few milliseconds old). */
function groupAlive(pgid: number): boolean {
  const now = performance.now();
  if (!groups || now - groups.at > 15) {
    const alive = new Set<number>();
    for (const p of scanProcesses()) if (p.state !== "Z") alive.add(p.pgid);
    groups = { at: now, alive };
  }
  return groups.alive.has(pgid);
}

/** How the processes of one instance are found, signalled and killed. */
export class Tracker {
  /** The main process, which leads the instance's process group. */
  readonly leader: number;
  /** The `ORCH_UNIT` value of the instance's processes. */
  readonly marker: string;
  readonly cgroup: CgroupUnit | undefined;

  constructor(leader: number, marker: string, cgroup: CgroupUnit | undefined) {
    this.leader = leader;
    this.marker = marker;
    this.cgroup = cgroup;
  }

  /** The instance's processes outside its process group (which one signal to the group reaches). */
  #outsiders(): number[] {
    const pids = this.cgroup ? unitPids(this.cgroup) : markedUnit(this.marker);
    return pids.filter((pid) => {
      const info = readProcess(pid);
      return info !== undefined && info.pgid !== this.leader;
    });
  }

  /** Sends `signal` once to every process of the instance. */
  signal(signal: Deno.Signal): void {
    if (!signalGroup(this.leader, signal)) {
      // Just after the spawn, before setsid has made the group.
      try {
        Deno.kill(this.leader, signal);
      } catch {
        // gone
      }
    }
    for (const pid of this.#outsiders()) {
      try {
        Deno.kill(pid, signal);
      } catch {
        // gone meanwhile
      }
    }
  }

  /** Whether nothing of the instance is left. */
  empty(): boolean {
    if (this.cgroup) return unitEmpty(this.cgroup);
    return !groupAlive(this.leader) && readProcess(this.leader) === undefined &&
      markedUnit(this.marker).length === 0;
  }

  /** SIGKILLs everything at once (the part that needs no waiting). */
  killNow(): void {
    if (this.cgroup) {
      if (this.cgroup.v2) {
        try {
          Deno.writeTextFileSync(`${this.cgroup.track}/cgroup.kill`, "1", { create: false });
        } catch {
          // gone
        }
      } else signalUnit(this.cgroup, "SIGKILL");
    }
    if (!signalGroup(this.leader, "SIGKILL")) {
      try {
        Deno.kill(this.leader, "SIGKILL");
      } catch {
        // gone
      }
    }
  }

  /** SIGKILLs everything and waits until nothing is left; false if something would not die. */
  async kill(withinMs = 5_000): Promise<boolean> {
    this.killNow();
    if (this.cgroup) return await killUnit(this.cgroup, withinMs);
    await killUntilNone(() => markedUnit(this.marker, 0));
    const deadline = Date.now() + withinMs;
    while (!this.empty() && Date.now() < deadline) {
      signalGroup(this.leader, "SIGKILL");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return this.empty();
  }

  /** What is left, for a message: how many processes, and where. */
  describeLeft(): string {
    const pids = this.cgroup ? unitPids(this.cgroup) : markedUnit(this.marker, 0);
    return `${pids.length} process(es) (${pids.slice(0, 5).join(", ")}) would not die${
      this.cgroup ? `; left in ${this.cgroup.track}` : ""
    }`;
  }

  /** Whether the kernel's OOM killer killed one of its processes. */
  oomKilled(): boolean {
    return this.cgroup ? unitOomKilled(this.cgroup) : false;
  }

  /** CPU and memory: from the cgroup, else the process group plus marked processes outside it. */
  usage(): Usage | undefined {
    const unit = this.cgroup ? unitUsage(this.cgroup) : undefined;
    // Just after the spawn the wrapper may not have joined its cgroup yet: count its group then.
    if (unit && unit.rssBytes > 0) return unit;
    const group = groupUsage(this.leader);
    if (unit) {
      return group
        ? { cpuSeconds: Math.max(unit.cpuSeconds, group.cpuSeconds), rssBytes: group.rssBytes }
        : unit;
    }
    let ticks = 0;
    let pages = 0;
    for (const pid of markedUnit(this.marker, 500)) {
      const info = readProcess(pid);
      if (!info || info.pgid === this.leader) continue;
      ticks += info.ticks;
      pages += info.rssPages;
    }
    if (!group && ticks === 0 && pages === 0) return undefined;
    return {
      cpuSeconds: (group?.cpuSeconds ?? 0) + ticks / TICKS_PER_SECOND,
      rssBytes: (group?.rssBytes ?? 0) + pages * PAGE_SIZE,
    };
  }

  /** Removes the cgroups (once empty); false if one could not be removed. */
  remove(): boolean {
    return this.cgroup ? removeUnit(this.cgroup) : true;
  }
}
