/**
 * Test helpers for containment: a service whose descendants escape its process group, and ways to
 * check that none of them lives (by pid and by marker).
 *
 * @module
 */
import { MARKER, parseMounts, scanMarks } from "../runtime/process/mod.ts";
import { processAlive } from "./recorder.ts";
import { waitFor } from "./deadline.ts";

/**
 * A shell command that starts `holding` escapees keeping the service's stdout, `quiet` ones that let
 * go of it, and `nested` ones that escape twice (setsid from a setsid'd shell); each prints
 * `esc PID` (and appends its pid to `pidFile`, when given), then the main process sleeps.
 */
export function escapeesCommand(
  options: { holding?: number; quiet?: number; nested?: number; pidFile?: string } = {},
): string {
  const { holding = 10, quiet = 8, nested = 4, pidFile } = options;
  const loop = (n: number, body: string) =>
    `i=0; while [ $i -lt ${n} ]; do ${body} & i=$((i+1)); done; `;
  const say = pidFile ? `echo "esc $$"; echo $$ >>${pidFile}` : `echo "esc $$"`;
  const sayNested = pidFile ? `echo esc \\$\\$; echo \\$\\$ >>${pidFile}` : `echo esc \\$\\$`;
  return loop(holding, `setsid sh -c '${say}; exec sleep 300'`) +
    loop(quiet, `setsid sh -c '${say}; exec sleep 300 >/dev/null 2>&1 </dev/null'`) +
    loop(
      nested,
      `setsid sh -c 'setsid sh -c "${sayNested}; exec sleep 300" & ${say}; exec sleep 300'`,
    ) +
    "exec sleep 300";
}

/** A shell command as a YAML string that interpolation leaves as it is (`$` written `$$`). */
export function yamlCommand(command: string): string {
  return JSON.stringify(command.replaceAll("$", () => "$$"));
}

/** How many escapees {@link escapeesCommand} starts with its defaults. */
export const ESCAPEES = 10 + 8 + 4 * 2;

/** The pids in `esc PID` lines. */
export function escapeePids(lines: readonly string[]): number[] {
  return lines.flatMap((l) => {
    const match = /^esc (\d+)$/.exec(l.trim());
    return match ? [Number(match[1])] : [];
  });
}

/** The live processes marked with `project` (its `ORCH_PROJECT`). */
export function markedWith(project: string): number[] {
  return [...scanMarks(0)].filter(([pid, m]) => m.project === project && processAlive(pid))
    .map(([pid]) => pid);
}

/** Resolves once `condition` holds (checked every 20 ms); rejects after `timeoutMs` naming `what`. */
export function eventually(
  condition: () => boolean,
  what: () => string,
  timeoutMs = 10_000,
): Promise<void> {
  return waitFor(condition, what, timeoutMs);
}

/** The cgroup directories of the project with this hash that exist (in this process's hierarchies). */
export function projectCgroupDirs(hash: string): string[] {
  const mounts = parseMounts(
    Deno.readTextFileSync("/proc/self/mountinfo"),
    Deno.readTextFileSync("/proc/self/cgroup"),
  );
  return mounts.map((m) => `${m.own}/orch/${hash}`).filter((d) => {
    try {
      return Deno.statSync(d).isDirectory;
    } catch {
      return false;
    }
  });
}

/** Why the cgroup tests cannot run here (not root, no cgroup mounts), or undefined. */
export function cgroupsUnavailable(): string | undefined {
  if (Deno.uid() !== 0) return "not running as root";
  try {
    const mounts = Deno.readTextFileSync("/proc/self/mountinfo");
    if (!/ - cgroup2? /.test(mounts)) return "no cgroup hierarchy is mounted";
  } catch {
    return "no /proc/self/mountinfo";
  }
  return undefined;
}

export { MARKER };
