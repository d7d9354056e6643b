/**
 * Reading /proc: which processes exist, their process group, CPU time and resident memory. One scan
 * serves every group; it is cached briefly so that many instances asking at once cost one scan.
 *
 * @module
 */
import type { Usage } from "../../domain/mod.ts";

/** One process as /proc shows it. */
export interface ProcInfo {
  readonly pid: number;
  readonly pgid: number;
  readonly state: string;
  /** user + system CPU time, in clock ticks. */
  readonly ticks: number;
  /** resident set, in pages. */
  readonly rssPages: number;
  /** When it started, in clock ticks since boot: tells a reused pid apart. */
  readonly startTicks: number;
}

/** Clock ticks per second on Linux (x86_64 and arm64). */
export const TICKS_PER_SECOND = 100;
/** The page size on Linux (x86_64 and arm64). */
export const PAGE_SIZE = 4096;

/** Parses one /proc/PID/stat line; undefined when it is not one. */
export function parseStat(pid: number, text: string): ProcInfo | undefined {
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  // Fields after the command name, starting at field 3 (state).
  const f = text.slice(close + 2).split(" ");
  return {
    pid,
    state: f[0],
    pgid: Number(f[2]),
    ticks: Number(f[11]) + Number(f[12]),
    rssPages: Number(f[21]),
    startTicks: Number(f[19]),
  };
}

/**
 * A process's start time in clock ticks since boot (field 22 of /proc/PID/stat): with its pid, it
 * tells a process apart from a later one that got the same pid.
 */
export function processStart(pid: number): number | undefined {
  return readProcess(pid)?.startTicks;
}

/** One process as /proc shows it, or undefined when it does not exist (or is a zombie). */
export function readProcess(pid: number): ProcInfo | undefined {
  try {
    const info = parseStat(pid, Deno.readTextFileSync(`/proc/${pid}/stat`));
    return info?.state === "Z" ? undefined : info;
  } catch {
    return undefined;
  }
}

/** Every process on the machine (that could be read). */
export function scanProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  let entries: Iterable<Deno.DirEntry>;
  try {
    entries = Deno.readDirSync("/proc");
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const info = parseStat(Number(entry.name), Deno.readTextFileSync(`/proc/${entry.name}/stat`));
      if (info) out.push(info);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

let cache: { at: number; groups: Map<number, Usage> } | undefined;

/** CPU and memory of a whole process group, from a scan at most `maxAgeMs` old. */
export function groupUsage(pgid: number, maxAgeMs = 500): Usage | undefined {
  const now = performance.now();
  // A group missing from a scan that is not brand new may have started since: scan again.
  const stale = !cache || now - cache.at > maxAgeMs ||
    (!cache.groups.has(pgid) && now - cache.at > 20);
  if (stale) {
    const groups = new Map<number, Usage>();
    for (const p of scanProcesses()) {
      if (p.state === "Z") continue;
      const g = groups.get(p.pgid) ?? { cpuSeconds: 0, rssBytes: 0 };
      groups.set(p.pgid, {
        cpuSeconds: g.cpuSeconds + p.ticks / TICKS_PER_SECOND,
        rssBytes: g.rssBytes + p.rssPages * PAGE_SIZE,
      });
    }
    cache = { at: now, groups };
  }
  return cache?.groups.get(pgid);
}
