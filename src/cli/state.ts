/**
 * A project's run state in `.orch/`: `orch.json` says which orch runs it (pid, socket, listener),
 * `orch.sock` is its control socket, `tokens.json` its TCP tokens. A pid or socket left by a crash
 * is detected and cleaned, never trusted.
 *
 * @module
 */
import { ConflictError } from "../domain/errors.ts";
import { shortHash } from "../domain/plan.ts";
import { readProcess } from "../runtime/process/procstat.ts";

/** What a running orch writes about itself. */
export interface RunFile {
  readonly pid: number;
  readonly socket: string;
  readonly startedAt: number;
  readonly version: string;
  readonly stack: string;
  readonly files: readonly string[];
  readonly listen?: string;
  /** When the process started, in clock ticks since boot: tells a reused pid apart. */
  readonly procStart?: number;
}

/** A process's start time in clock ticks since boot (field 22 of /proc/PID/stat). */
export function processStart(pid: number): number | undefined {
  return readProcess(pid)?.startTicks;
}

/** The state directory of a project. */
export function stateDir(project: string): string {
  return `${project.replace(/\/$/, "")}/.orch`;
}

/** The directory of a path. */
export function dirOf(path: string): string {
  const at = path.lastIndexOf("/");
  return at <= 0 ? "/" : path.slice(0, at);
}

// sun_path holds 108 bytes with its terminating NUL; keep a margin.
const SOCKET_PATH_MAX = 100;

/** Where the control socket goes: in `.orch/`, or in a short runtime directory when too long. */
export async function socketPathFor(project: string, env: (n: string) => string | undefined) {
  const preferred = `${stateDir(project)}/orch.sock`;
  if (new TextEncoder().encode(preferred).length <= SOCKET_PATH_MAX) return preferred;
  const base = env("XDG_RUNTIME_DIR") || "/tmp";
  return `${base}/orch-${await shortHash(project)}.sock`;
}

/** Whether the run's process is alive and is still the same process (not a reused pid). */
function runAlive(run: RunFile): boolean {
  const info = readProcess(run.pid);
  return info !== undefined && (run.procStart === undefined || info.startTicks === run.procStart);
}

/** Reads `.orch/orch.json`, or undefined. */
export function readRunFile(project: string): RunFile | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(`${stateDir(project)}/orch.json`));
  } catch {
    return undefined;
  }
}

/** A client for a unix socket. */
export function unixClient(socket: string): Deno.HttpClient {
  return Deno.createHttpClient({ proxy: { transport: "unix", path: socket } });
}

/** Whether the orch of `run` answers on its socket (within `timeoutMs`). */
export async function answers(run: RunFile, timeoutMs = 2000): Promise<boolean> {
  const client = unixClient(run.socket);
  try {
    const response = await fetch("http://orch/v1/health", {
      client,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await response.json();
    return response.ok && body.pid === run.pid;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

/**
 * The orch running this project, if one is: its run file names a live process that answers on
 * its socket. A run file or socket left by a crash is removed, and undefined returned.
 */
export async function findRunning(project: string): Promise<RunFile | undefined> {
  const run = readRunFile(project);
  if (!run) return undefined;
  if (runAlive(run) && await answers(run)) return run;
  if (runAlive(run)) {
    // Alive but not answering: starting up, or hung. Give it a moment once more.
    if (await answers(run, 3000)) return run;
    throw new ConflictError(
      `an orch (pid ${run.pid}) holds ${stateDir(project)} but does not answer on ${run.socket}; ` +
        `stop it (kill ${run.pid}) and try again`,
    );
  }
  removeRunFiles(project, run);
  return undefined;
}

/** Removes what a run left (the run file and its socket). */
export function removeRunFiles(project: string, run: RunFile | undefined): void {
  for (const path of [`${stateDir(project)}/orch.json`, run?.socket]) {
    if (!path) continue;
    try {
      Deno.removeSync(path);
    } catch {
      // already gone
    }
  }
}

function runFileText(run: RunFile): string {
  return JSON.stringify(run, null, 2) + "\n";
}

/** Rewrites the run file of a claimed project (atomically: readers never see half of it). */
export async function updateRunFile(project: string, run: RunFile): Promise<void> {
  const path = `${stateDir(project)}/orch.json`;
  await Deno.writeTextFile(`${path}.tmp`, runFileText(run), { mode: 0o600 });
  await Deno.rename(`${path}.tmp`, path);
}

/**
 * Claims the project for this process: fails with a clear message when another orch runs it,
 * cleans up after one that crashed.
 */
export async function claim(project: string, run: RunFile): Promise<void> {
  await Deno.mkdir(stateDir(project), { recursive: true });
  const path = `${stateDir(project)}/orch.json`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await Deno.writeTextFile(path, runFileText(run), { createNew: true, mode: 0o600 });
      return;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      const other = await findRunning(project);
      if (other && other.pid !== run.pid) {
        throw new ConflictError(
          `orch is already running this project (pid ${other.pid}, since ${
            new Date(other.startedAt).toLocaleTimeString()
          }); use orch status, orch apply or orch down`,
        );
      }
      if (!other) removeRunFiles(project, readRunFile(project));
    }
  }
  throw new ConflictError(`could not claim ${path}`);
}

/** Tokens for the TCP listener, created (mode 0600) on first use. */
export async function loadTokens(
  project: string,
  given?: string,
): Promise<{ admin: string; readOnly: string; file: string }> {
  const file = `${stateDir(project)}/tokens.json`;
  let tokens: { admin?: string; readOnly?: string } = {};
  try {
    tokens = JSON.parse(await Deno.readTextFile(file));
  } catch {
    // none yet
  }
  const make = () => {
    const bytes = crypto.getRandomValues(new Uint8Array(24));
    return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_");
  };
  const result = { admin: given ?? tokens.admin ?? make(), readOnly: tokens.readOnly ?? make() };
  if (result.admin !== tokens.admin || result.readOnly !== tokens.readOnly) {
    await Deno.mkdir(stateDir(project), { recursive: true });
    await Deno.writeTextFile(file, JSON.stringify(result, null, 2) + "\n", { mode: 0o600 });
    await Deno.chmod(file, 0o600);
  }
  return { ...result, file };
}
