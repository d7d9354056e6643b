/**
 * Which orchs this user runs, for finding a stack from a directory above it: `orch status` in a
 * repository whose stack lives in `examples/demo/` finds that stack's orch when it is the only one
 * running below. Each running orch leaves a small entry (its project's path) in a directory private
 * to the user (`$TMPDIR/orch-UID/running/`, or `/tmp/orch-UID/running/`); an entry is only a hint:
 * it counts while the project's `.orch/orch.json` exists, and a stale one is removed when read.
 *
 * @module
 */
import { privateRuntimeDir, stateDir } from "./state.ts";

/** Where entries live, for this environment. */
function baseOf(env: (name: string) => string | undefined): string {
  return env("TMPDIR") || "/tmp";
}

/** A short, stable file name for a project path (FNV-1a, 64 bits). */
function entryName(project: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(project)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, "0");
}

/**
 * Records that an orch runs `project`; returns the entry's path (to remove when it stops), or
 * undefined when the private directory cannot be used (then only the upward search finds it).
 */
export async function registerRun(
  project: string,
  env: (name: string) => string | undefined,
): Promise<string | undefined> {
  try {
    const dir = `${await privateRuntimeDir(baseOf(env))}/running`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const path = `${dir}/${entryName(project)}`;
    await Deno.writeTextFile(`${path}.tmp`, project, { mode: 0o600 });
    await Deno.rename(`${path}.tmp`, path);
    return path;
  } catch {
    return undefined;
  }
}

/** Removes an entry written by {@link registerRun}. */
export function unregisterRun(entry: string | undefined): void {
  if (!entry) return;
  try {
    Deno.removeSync(entry);
  } catch {
    // already gone
  }
}

/** The projects under `dir` (not `dir` itself) that have a running orch, as their entries say. */
export function runningBelow(dir: string, env: (name: string) => string | undefined): string[] {
  const root = `${baseOf(env).replace(/\/+$/, "")}/orch-${Deno.uid()}/running`;
  const prefix = `${dir.replace(/\/+$/, "")}/`;
  const found: string[] = [];
  let entries: Iterable<Deno.DirEntry>;
  try {
    // Only a directory of this user's own: another user's would be a trap.
    const info = Deno.lstatSync(root);
    if (!info.isDirectory || info.uid !== Deno.uid()) return [];
    entries = Deno.readDirSync(root);
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!entry.isFile || entry.name.endsWith(".tmp")) continue;
    const path = `${root}/${entry.name}`;
    let project: string;
    try {
      project = Deno.readTextFileSync(path);
    } catch {
      continue;
    }
    try {
      Deno.statSync(`${stateDir(project)}/orch.json`);
    } catch {
      unregisterRun(path);
      continue;
    }
    if (project.startsWith(prefix)) found.push(project);
  }
  return found.sort();
}
