/**
 * A project's run state in `.orch/`: `orch.json` says which orch runs it (pid, socket, listener),
 * `orch.sock` is its control socket, `tokens.json` its TCP tokens. A pid or socket left by a crash
 * is detected and cleaned, never trusted.
 *
 * @module
 */
import { ConflictError, OrchError, shortHash } from "../domain/mod.ts";

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
  /** Its entry among the user's running orchs (see registry.ts), removed with the run file. */
  readonly registry?: string;
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

/**
 * Creates the project's `.orch/` (and `.orch/logs/`) private to orch's user, mode 0700, and
 * makes an existing one so; returns its path.
 */
export async function ensureStateDir(project: string): Promise<string> {
  const dir = stateDir(project);
  try {
    await Deno.mkdir(`${dir}/logs`, { recursive: true, mode: 0o700 });
    await Deno.chmod(dir, 0o700);
    await Deno.chmod(`${dir}/logs`, 0o700);
  } catch (error) {
    throw new OrchError(`cannot create ${dir}: ${(error as Error).message}`, { cause: error });
  }
  return dir;
}

// sun_path holds 108 bytes with its terminating NUL; keep a margin.
const SOCKET_PATH_MAX = 100;

/** Why `dir` is not a private directory of this user (or undefined when it is one). */
async function notPrivate(dir: string): Promise<string | undefined> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(dir);
  } catch (error) {
    return (error as Error).message;
  }
  if (info.isSymlink) return "it is a symbolic link";
  if (!info.isDirectory) return "it is not a directory";
  if (info.uid !== null && info.uid !== Deno.uid()) return `it belongs to uid ${info.uid}`;
  if (info.mode !== null && (info.mode & 0o077) !== 0) {
    return `its mode is ${(info.mode & 0o777).toString(8)}, not 700`;
  }
  return undefined;
}

/**
 * A directory for sockets private to this user: `$TMPDIR/orch-UID` (or `/tmp/orch-UID`), created
 * mode 0700, or checked to be a directory (not a symlink) of this user with mode 0700.
 *
 * @throws {OrchError} when it exists and is not (another user may have made it).
 */
export async function privateRuntimeDir(base: string): Promise<string> {
  const dir = `${base.replace(/\/+$/, "")}/orch-${Deno.uid()}`;
  try {
    await Deno.mkdir(dir, { mode: 0o700 });
    await Deno.chmod(dir, 0o700);
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) {
      throw new OrchError(
        `cannot create ${dir} for the control socket: ${(error as Error).message}`,
      );
    }
  }
  const why = await notPrivate(dir);
  if (why) {
    throw new OrchError(
      `cannot put the control socket in ${dir}: ${why} (it must be a directory of uid ` +
        `${Deno.uid()} with mode 700); remove it, or set XDG_RUNTIME_DIR`,
    );
  }
  return dir;
}

/**
 * Where the control socket goes: in `.orch/`, or, when that path is too long for a socket, in
 * `$XDG_RUNTIME_DIR` (when it is private to this user) or a private `/tmp/orch-UID/`.
 */
export async function socketPathFor(project: string, env: (n: string) => string | undefined) {
  const preferred = `${stateDir(project)}/orch.sock`;
  const fits = (path: string) => new TextEncoder().encode(path).length <= SOCKET_PATH_MAX;
  if (fits(preferred)) return preferred;
  const name = `orch-${await shortHash(project)}.sock`;
  const runtime = env("XDG_RUNTIME_DIR");
  if (runtime && fits(`${runtime}/${name}`) && !await notPrivate(runtime)) {
    return `${runtime.replace(/\/+$/, "")}/${name}`;
  }
  const tmp = env("TMPDIR");
  const base = tmp && fits(`${tmp}/orch-${Deno.uid()}/${name}`) ? tmp : "/tmp";
  return `${await privateRuntimeDir(base)}/${name}`;
}

/**
 * Whether the run's process is alive and is still the same process (not a reused pid). The
 * process runtime that reads /proc is loaded only here: `orch status` needs none of it.
 */
async function runAlive(run: RunFile): Promise<boolean> {
  const { readProcess } = await import("../runtime/process/mod.ts");
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
    const response = await fetch("http://localhost/v1/health", {
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
  if (await runAlive(run) && await answers(run)) return run;
  if (await runAlive(run)) {
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
  for (const path of [`${stateDir(project)}/orch.json`, run?.socket, run?.registry]) {
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

/**
 * Writes `text` to a temporary file beside `path` (mode 0600), then puts it in place: by rename,
 * or with `createNew` by a hard link that fails when `path` exists. Readers never see half a
 * file, and a full disk leaves nothing behind.
 *
 * @throws {OrchError} naming the file and why, when it cannot be written.
 * @throws {Deno.errors.AlreadyExists} with `createNew`, when `path` exists.
 */
export async function writeAtomic(
  path: string,
  text: string,
  options: { createNew?: boolean } = {},
): Promise<void> {
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.writeTextFile(tmp, text, { createNew: true, mode: 0o600 });
    if (options.createNew) await Deno.link(tmp, path);
    else await Deno.rename(tmp, path);
  } catch (error) {
    if (options.createNew && error instanceof Deno.errors.AlreadyExists) throw error;
    // Deno adds the call and the (temporary) path: the message names the real file instead.
    const reason = (error as Error).message.replace(/: [a-z]+ '[^']*'$/, "");
    throw new OrchError(`cannot write ${path}: ${reason}`, { cause: error });
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}

/** Rewrites the run file of a claimed project (atomically: readers never see half of it). */
export async function updateRunFile(project: string, run: RunFile): Promise<void> {
  await writeAtomic(`${stateDir(project)}/orch.json`, runFileText(run));
}

/**
 * Claims the project for this process: fails with a clear message when another orch runs it,
 * cleans up after one that crashed.
 */
export async function claim(project: string, run: RunFile): Promise<void> {
  await ensureStateDir(project);
  const path = `${stateDir(project)}/orch.json`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeAtomic(path, runFileText(run), { createNew: true });
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

/** The lock a running orch holds on its project for as long as it lives (`.orch/orch.lock`). */
function lockPath(project: string): string {
  return `${stateDir(project)}/orch.lock`;
}

/** Files whose lock this process holds until it exits (kept so that nothing closes them). */
const heldLocks: Deno.FsFile[] = [];

/**
 * Takes the project's lock for this process, exclusively, until it exits: the kernel releases it
 * then, however the process ends (a crash, SIGKILL), so that a waiter is told at once. Call after
 * {@link claim}.
 */
export function holdProjectLock(project: string): void {
  const file = Deno.openSync(lockPath(project), {
    read: true,
    write: true,
    create: true,
    mode: 0o600,
  });
  file.lockSync(true);
  heldLocks.push(file);
}

/**
 * Resolves once the orch of `project` has exited (its lock is free), or after `timeoutMs`
 * (resolving false). An orch that holds no lock is taken to be gone.
 */
export async function waitForExit(project: string, timeoutMs: number): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(lockPath(project), { read: true });
  } catch {
    return true;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((
    resolve,
  ) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    return await Promise.race([file.lock(false).then(() => true), late]);
  } finally {
    clearTimeout(timer);
    file.close();
  }
}

/** Tokens for the TCP listener, created (mode 0600) on first use. */
export async function loadTokens(
  project: string,
  given?: string,
): Promise<{ admin: string; readOnly: string; file: string }> {
  const file = `${stateDir(project)}/tokens.json`;
  let tokens: { admin?: unknown; readOnly?: unknown } = {};
  try {
    tokens = JSON.parse(await Deno.readTextFile(file)) ?? {};
    // Made by an older orch, perhaps with a wider mode.
    await Deno.chmod(file, 0o600);
  } catch {
    // none yet
  }
  const kept = (value: unknown) => (typeof value === "string" && value ? value : undefined);
  const make = () => {
    const bytes = crypto.getRandomValues(new Uint8Array(24));
    return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_");
  };
  const result = {
    admin: given ?? kept(tokens.admin) ?? make(),
    readOnly: kept(tokens.readOnly) ?? make(),
  };
  if (result.admin !== tokens.admin || result.readOnly !== tokens.readOnly) {
    await ensureStateDir(project);
    await writeAtomic(file, JSON.stringify(result, null, 2) + "\n");
  }
  return { ...result, file };
}
