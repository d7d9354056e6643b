/**
 * A temporary project for end-to-end tests: a directory with a stack file, whose background orch
 * is stopped (and killed if need be) on dispose.
 *
 * @module
 */
import { runOrch } from "./cli.ts";
import { processAlive, tempDir } from "./recorder.ts";

/** What `.orch/orch.json` says. */
export interface TestRunFile {
  readonly pid: number;
  readonly socket: string;
  readonly listen?: string;
}

/** Reads a project's run file (throws when there is none). */
export function runFile(dir: string): TestRunFile {
  return JSON.parse(Deno.readTextFileSync(`${dir}/.orch/orch.json`));
}

/** A project directory holding `stack.yaml`; `down` (and a kill, if need be) on dispose. */
export async function project(
  yaml: string,
  options: { dir?: string } = {},
): Promise<AsyncDisposable & { path: string }> {
  const dir = options.dir ? undefined : await tempDir();
  const path = options.dir ?? dir!.path;
  await Deno.writeTextFile(`${path}/stack.yaml`, yaml);
  return {
    path,
    async [Symbol.asyncDispose]() {
      let pid: number | undefined;
      try {
        pid = runFile(path).pid;
      } catch {
        // not running
      }
      if (pid) {
        await runOrch(path, ["down", "--timeout", "5s"]);
        if (processAlive(pid)) Deno.kill(pid, "SIGKILL");
      }
      await dir?.[Symbol.asyncDispose]();
    },
  };
}

/** Whether `path` exists (a dangling link counts). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once `path` does not exist; rejects after `timeoutMs` naming it. */
export async function gone(path: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await Deno.lstat(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    if (Date.now() > deadline) throw new Error(`${path} still exists after ${timeoutMs}ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The resident memory of a process, in bytes (VmRSS of /proc/PID/status). */
export function rssBytes(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kib = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!kib) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kib[1]) * 1024;
}

/** Samples `fn` every `ms` until the returned stop function is called; stop gives the maximum. */
export function sampleMax(fn: () => number, ms = 50): () => number {
  let max = fn();
  const timer = setInterval(() => {
    try {
      max = Math.max(max, fn());
    } catch {
      // the process is gone; the caller checks that
    }
  }, ms);
  return () => {
    clearInterval(timer);
    return max;
  };
}
