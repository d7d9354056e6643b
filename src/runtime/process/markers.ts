/**
 * Markers: every process orch starts carries `ORCH_PROJECT=<project dir>` and `ORCH_UNIT=<run>/<unit>`
 * in its environment, and so does everything it starts unless it clears its environment. Where orch
 * cannot make cgroups, the marker is how an instance's processes are found, even those that left its
 * process group (`setsid`); after a crash, the project marker finds what the old orch left.
 *
 * One scan of /proc serves every caller for a short while, so that many instances stopping at once
 * cost one scan.
 *
 * @module
 */

/** The variable that marks a process as started by orch for a project. */
export const MARKER = "ORCH_PROJECT";
/** The variable that marks a process as belonging to one run of one instance: `<run>/<unit>`. */
export const UNIT_MARKER = "ORCH_UNIT";

/** A random run id: part of every marker, so that a run's processes are told from another's. */
export function newRunId(): string {
  return [...crypto.getRandomValues(new Uint8Array(5))].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/** What the markers of one process say. */
interface Marks {
  readonly project: string | undefined;
  readonly unit: string | undefined;
}

const decoder = new TextDecoder("latin1");
let cache: { at: number; marks: Map<number, Marks> } | undefined;

function valueOf(environ: string, name: string): string | undefined {
  const key = `\0${name}=`;
  const text = `\0${environ}`;
  const at = text.indexOf(key);
  if (at < 0) return undefined;
  const end = text.indexOf("\0", at + key.length);
  return text.slice(at + key.length, end < 0 ? undefined : end);
}

/** Reads the markers of every process (cached up to `maxAgeMs`); orch itself is left out. */
export function scanMarks(maxAgeMs = 30): Map<number, Marks> {
  const now = performance.now();
  if (cache && now - cache.at <= maxAgeMs) return cache.marks;
  const marks = new Map<number, Marks>();
  let entries: Iterable<Deno.DirEntry> = [];
  try {
    entries = Deno.readDirSync("/proc");
  } catch {
    // no /proc: nothing is known
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry.name)) continue;
    const pid = Number(entry.name);
    if (pid === Deno.pid) continue;
    let environ: string;
    try {
      environ = decoder.decode(Deno.readFileSync(`/proc/${pid}/environ`));
    } catch {
      continue; // gone, or not ours to read
    }
    if (!environ.includes("ORCH_")) continue;
    const project = valueOf(environ, MARKER);
    const unit = valueOf(environ, UNIT_MARKER);
    if (project !== undefined || unit !== undefined) marks.set(pid, { project, unit });
  }
  cache = { at: now, marks };
  return marks;
}

/** Forgets the last scan (after killing, the next look must be fresh). */
export function forgetScan(): void {
  cache = undefined;
}

/** The processes marked with exactly this unit marker value. */
export function markedUnit(value: string, maxAgeMs?: number): number[] {
  const pids: number[] = [];
  for (const [pid, marks] of scanMarks(maxAgeMs)) if (marks.unit === value) pids.push(pid);
  return pids;
}

/** The processes marked with this project (orch and its ancestors excepted). */
export function markedProject(project: string): number[] {
  const spared = ancestors();
  const pids: number[] = [];
  for (const [pid, marks] of scanMarks(0)) {
    if (marks.project === project && !spared.has(pid)) pids.push(pid);
  }
  return pids;
}

/** orch and the processes above it: never killed by a marker sweep. */
function ancestors(): Set<number> {
  const out = new Set<number>([Deno.pid]);
  let pid = Deno.pid;
  for (let i = 0; i < 64 && pid > 1; i++) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      pid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      out.add(pid);
    } catch {
      break;
    }
  }
  return out;
}

/**
 * SIGKILLs the processes `find` returns until it returns none (each killed one may have forked
 * meanwhile); at most `rounds` rounds. Returns every pid killed.
 */
export async function killUntilNone(find: () => number[], rounds = 20): Promise<number[]> {
  const killed = new Set<number>();
  for (let round = 0; round < rounds; round++) {
    forgetScan();
    const pids = find();
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        Deno.kill(pid, "SIGKILL");
        killed.add(pid);
      } catch {
        // gone meanwhile
      }
    }
    await new Promise((resolve) => setTimeout(resolve, round < 3 ? 1 : 10));
  }
  forgetScan();
  return [...killed];
}
