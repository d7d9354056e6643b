/**
 * Cleaning up after a crashed orch: the process groups it had running are recorded in a file under
 * `.orch/`; the next start kills those that still exist and carry this project's marker.
 *
 * @module
 */

import { scanProcesses } from "./procstat.ts";

/** The environment variable that marks a process as started by orch for a project. */
export const MARKER = "ORCH_PROJECT";

function procGroupMembers(pgid: number): number[] {
  return scanProcesses().filter((p) => p.pgid === pgid).map((p) => p.pid);
}

function hasMarker(pid: number, project: string): boolean {
  try {
    const environ = Deno.readTextFileSync(`/proc/${pid}/environ`);
    return environ.split("\0").includes(`${MARKER}=${project}`);
  } catch {
    return false;
  }
}

/**
 * Kills the groups recorded in `file` that still have a member marked with `project`.
 *
 * @returns The process ids killed.
 */
export function killLeftovers(file: string, project: string): number[] {
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch {
    return [];
  }
  const killed: number[] = [];
  for (const line of text.split("\n")) {
    const pgid = Number(line.trim());
    if (!Number.isInteger(pgid) || pgid <= 1) continue;
    const members = procGroupMembers(pgid).filter((pid) => hasMarker(pid, project));
    if (members.length === 0) continue;
    try {
      Deno.kill(-pgid, "SIGKILL");
      killed.push(...members);
    } catch {
      for (const pid of members) {
        try {
          Deno.kill(pid, "SIGKILL");
          killed.push(pid);
        } catch {
          // already gone
        }
      }
    }
  }
  try {
    Deno.removeSync(file);
  } catch {
    // nothing to remove
  }
  return killed;
}

/** Keeps `file` listing the live groups, rewritten (atomically) at most once per tick. */
export class GroupRecord {
  readonly #file: string;
  readonly #groups = new Set<number>();
  #scheduled = false;

  constructor(file: string) {
    this.#file = file;
  }

  add(pgid: number): void {
    this.#groups.add(pgid);
    this.#schedule();
  }

  remove(pgid: number): void {
    this.#groups.delete(pgid);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.flush();
    });
  }

  /** Writes the file now. */
  flush(): void {
    try {
      if (this.#groups.size === 0) {
        Deno.removeSync(this.#file);
        return;
      }
      const tmp = `${this.#file}.tmp`;
      Deno.writeTextFileSync(tmp, [...this.#groups].join("\n") + "\n", { mode: 0o600 });
      Deno.renameSync(tmp, this.#file);
    } catch {
      // the state directory is gone or unwritable: the group guard still covers us
    }
  }
}
