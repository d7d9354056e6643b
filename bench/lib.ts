/**
 * What the peer benchmarks share: the tools under test (orch and its peers), /proc readings
 * (processes, PSS, CPU), waiting on conditions under a deadline, and result tables.
 *
 * @module
 */
import { runFlags } from "../src/cli/self.ts";

export const ROOT = new URL("../", import.meta.url).pathname;
export const MAIN = `${ROOT}main.ts`;

/**
 * orch as the benchmarks run it: `deno run -A` with the flags orch starts itself with, those of
 * `deno task orch` and of the release's compiled binary (V8's young generation at 1 MiB a
 * semi-space, dynamic imports loaded when they run). A bare `deno run -A main.ts` holds about 7 MiB
 * more with 100 services and takes about 10 ms longer a command.
 */
export const ORCH: readonly string[] = [Deno.execPath(), "run", "-A", ...runFlags(MAIN), MAIN];

/** Median of numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
}

/** Polls `test` every `everyMs` until it holds; throws after `timeoutMs`. */
export async function until(
  what: string,
  test: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
  everyMs = 5,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await test())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** One process from /proc. */
export interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  ticks: number;
  cmdline: string;
}

/** Every live process (zombies excluded). */
export function processes(): Proc[] {
  const out: Proc[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (f[0] === "Z") continue;
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).replaceAll("\0", " ")
        .trim();
      out.push({
        pid: Number(entry.name),
        ppid: Number(f[1]),
        pgid: Number(f[2]),
        state: f[0],
        ticks: Number(f[11]) + Number(f[12]),
        cmdline,
      });
    } catch {
      // gone
    }
  }
  return out;
}

/** The pid and every descendant of it. */
export function tree(pid: number, all = processes()): Proc[] {
  const out = all.filter((p) => p.pid === pid);
  for (let i = 0; i < out.length; i++) out.push(...all.filter((p) => p.ppid === out[i].pid));
  return out;
}

/** Proportional set size of a process, in KiB (0 when gone). */
export function pssKiB(pid: number): number {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
    return Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) of processes. */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}

/** Starts a command in its own process group; returns the child. */
export function spawn(
  command: string[],
  options: { cwd?: string; env?: Record<string, string>; output?: string } = {},
): Deno.ChildProcess {
  const out = options.output ?? "/dev/null";
  return new Deno.Command("sh", {
    args: ["-c", `exec "$@" >>"${out}" 2>&1 </dev/null`, "sh", ...command],
    cwd: options.cwd,
    env: options.env,
    stdout: "null",
    stderr: "null",
    stdin: "null",
    detached: true,
  }).spawn();
}

/** Kills a process group and waits for it. */
export async function killGroup(child: Deno.ChildProcess): Promise<void> {
  try {
    Deno.kill(-child.pid, "SIGKILL");
  } catch {
    // gone
  }
  await child.status;
}

/** Kills every process whose command line contains `marker`. */
export function killMarked(marker: string): void {
  for (const p of processes()) {
    if (p.cmdline.includes(marker) && p.pid !== Deno.pid) {
      try {
        Deno.kill(p.pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  }
}

/** Runs a command to its end; throws with its output on failure. */
export async function run(
  command: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
) {
  const out = await new Deno.Command(command[0], {
    args: command.slice(1),
    cwd: options.cwd,
    env: options.env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${command.join(" ")} failed:\n${text}`);
  return text;
}

/** Whether a program is on PATH. */
export function has(program: string): boolean {
  return new Deno.Command("sh", {
    args: ["-c", `command -v ${program}`],
    stdout: "null",
    stderr: "null",
  })
    .outputSync().success;
}

/** A temporary directory. */
export function tempDir(prefix: string): string {
  return Deno.makeTempDirSync({ prefix: `orch-bench-${prefix}-` });
}

/** Formats a table row. */
export function row(cells: readonly (string | number)[]): string {
  return `| ${cells.join(" | ")} |`;
}
