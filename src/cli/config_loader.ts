/**
 * Loading the project for a command, through the config cache (`src/config/cached/`). For
 * `orch up`, which runs for long, a change is loaded by a short-lived loader process
 * (`main.ts __load-config`, allowed to read files and the environment only), so that the YAML and
 * TOML parsers and the schemas never take memory in the engine's process. `main.ts` starts `up`'s
 * load while the engine's modules load; the command takes it over when it asks for the same.
 *
 * @module
 */
import {
  type Entry,
  LOAD_REQUEST_ENV,
  loadProjectCached,
  type LoadRequest,
} from "../config/cached/mod.ts";
import type { Project } from "../config/mod.ts";
import { loaderCommand } from "./self.ts";

export type { LoadRequest } from "../config/cached/mod.ts";

/** The request of a command: files as given, the directory, the loader options. */
export function requestOf(
  cwd: string,
  files: readonly string[],
  options: { profiles?: readonly string[]; formation?: Readonly<Record<string, number>> } = {},
): LoadRequest {
  return {
    files: [...files],
    cwd,
    ...(options.profiles?.length ? { profiles: [...options.profiles] } : {}),
    ...(options.formation ? { formation: { ...options.formation } } : {}),
  };
}

/** Loads in a loader process; its cache entry, or undefined when it could not. */
async function loadElsewhere(request: LoadRequest): Promise<Entry | undefined> {
  const [command, ...args] = loaderCommand();
  const child = new Deno.Command(command, {
    args,
    env: { [LOAD_REQUEST_ENV]: JSON.stringify(request) },
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const [text, status] = await Promise.all([new Response(child.stdout).text(), child.status]);
  if (!status.success) return undefined;
  const entry = JSON.parse(text);
  return entry?.deps ? entry : undefined;
}

const started = new Map<string, Promise<Project>>();

/**
 * The project for a request: the load already started for the same request, or a new one
 * (`separate`: a change is loaded in a loader process).
 *
 * @throws {ConfigError} with every problem, located.
 */
export function loadProjectFor(
  request: LoadRequest,
  options: { readonly env: (name: string) => string | undefined; readonly separate?: boolean },
): Promise<Project> {
  const key = JSON.stringify(request);
  const early = started.get(key);
  if (early) {
    started.delete(key);
    return early;
  }
  return loadProjectCached(request, {
    env: options.env,
    ...(options.separate ? { elsewhere: loadElsewhere } : {}),
  });
}

/**
 * Starts the load of `request` now (in a loader process on a change), for a command to take over.
 * Resolves once the load is under way: its loader process started, or the project read from the
 * cache. A caller that loads its own modules next should wait for that first: the cache's checks
 * are file reads whose answers would otherwise queue behind the module loading, and the loader
 * process would start only after it.
 */
export function startLoading(
  request: LoadRequest,
  env: (name: string) => string | undefined,
): Promise<void> {
  let begun!: () => void;
  const under = new Promise<void>((resolve) => begun = resolve);
  const loading = loadProjectCached(request, {
    env,
    elsewhere: (request) => {
      const entry = loadElsewhere(request);
      begun();
      return entry;
    },
  });
  loading.then(begun, begun); // the command reports an error
  started.set(JSON.stringify(request), loading);
  return under;
}
