/**
 * Loading a project through the cache (cache.ts): an unchanged config comes from `.orch/cache/`
 * without the parsers and schemas being loaded at all; a changed one is loaded, here or (for a
 * long-running process that should not keep the parsers in memory) by `elsewhere`, a short-lived
 * loader process, and kept for next time. Errors always come from a load here, so that they read
 * as they always do: every problem with its file, line, column and field path.
 *
 * @module
 */
import {
  cacheEnabled,
  cacheKey,
  decode,
  type Deps,
  depsHold,
  encode,
  type Entry,
  readEntry,
  Recorder,
  writeEntry,
} from "./cache.ts";
import type { Project } from "../flows/mod.ts";
import { projectDirOf } from "../project_dir.ts";

/** What to load: the same for a load here and in a loader process. */
export interface LoadRequest {
  /** Files or directories as given (absolute or relative to `cwd`); empty for the default. */
  readonly files: readonly string[];
  readonly cwd: string;
  readonly profiles?: readonly string[];
  readonly formation?: Readonly<Record<string, number>>;
}

/** How a project is loaded through the cache. */
export interface CachedLoadOptions {
  /** Variables for interpolation (recorded: a change of one is a change of the config). */
  readonly env: (name: string) => string | undefined;
  /**
   * Loads on a miss in another process and returns the entry, or undefined when it could not
   * (the load then happens here). Without it, a miss is loaded here.
   */
  readonly elsewhere?: (request: LoadRequest) => Promise<Entry | undefined>;
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** The project directory of a request (where its `.orch/` is). */
export function projectOf(request: LoadRequest): string {
  return projectDirOf(request.cwd, request.files);
}

/** The cache directory of a request: `.orch/cache` of the project it loads. */
export function cacheDirOf(request: LoadRequest): string {
  return `${projectOf(request).replace(/\/+$/, "")}/.orch/cache`;
}

/**
 * Loads the project here, recording what the load depended on: the entry is undefined when the
 * project holds something the cache cannot keep.
 *
 * @throws {ConfigError} as `loadProject` does.
 */
export async function loadRecorded(
  request: LoadRequest,
  env: (name: string) => string | undefined,
): Promise<{ project: Project; entry?: Entry }> {
  const { loadProject } = await import("../flows/mod.ts");
  const recorder = new Recorder(env);
  const project = await loadProject(request.files, {
    cwd: request.cwd,
    env: recorder.env,
    readTextFile: recorder.read,
    fs: recorder.fs,
    ...(request.profiles ? { profiles: request.profiles } : {}),
    ...(request.formation ? { formation: request.formation } : {}),
  });
  let value: unknown;
  try {
    value = encode(project);
  } catch {
    return { project };
  }
  return { project, entry: { deps: await recorder.deps(), value } };
}

/** Whether the variables a load looked up have the same values here. */
function sameEnv(deps: Deps, env: (name: string) => string | undefined): boolean {
  return deps.env.every(([name, value]) => (env(name) ?? null) === value);
}

/**
 * Loads a project: from the cache when nothing it depends on changed, else by `elsewhere` (when
 * given) or here, and keeps it.
 *
 * @throws {ConfigError} with every problem found, each located.
 */
export async function loadProjectCached(
  request: LoadRequest,
  options: CachedLoadOptions,
): Promise<Project> {
  const on = cacheEnabled(options.env);
  const dir = cacheDirOf(request);
  // Without a cache directory there is no entry to read: the other process starts before the key
  // is worked out (it walks the loader's sources), a project's first load a few ms sooner.
  const early = on && options.elsewhere && !isDirectory(dir)
    ? options.elsewhere(request).catch(() => undefined)
    : undefined;
  const key = on ? await cacheKey(request) : "";
  if (on && !early) {
    const entry = readEntry(dir, key);
    if (entry && await depsHold(entry.deps, options.env)) {
      try {
        return decode(entry.value) as Project;
      } catch {
        // a damaged entry: load again
      }
    }
  }
  if (options.elsewhere) {
    const entry = await (early ?? options.elsewhere(request).catch(() => undefined));
    // The loader saw the process's environment: it must be the one this load is for.
    if (entry && sameEnv(entry.deps, options.env)) {
      try {
        const project = decode(entry.value) as Project;
        if (on) writeEntry(dir, key, entry);
        return project;
      } catch {
        // load here
      }
    }
  }
  const { project, entry } = await loadRecorded(request, options.env);
  if (on && entry) writeEntry(dir, key, entry);
  return project;
}
