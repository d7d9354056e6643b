/**
 * Sandboxed runs: what `deno run` must grant for a command, checked before the command does
 * anything, so that a missing permission ends with one line naming the flag and what needed it
 * (instead of a failure deep inside, or a check that quietly finds nothing).
 *
 * `validate`, `config` and `graph` need only to read the project and the environment. Deno 2
 * lets a program read /proc only when every permission is granted whole (`-A`, and no `--deny-*`);
 * orch reads /proc to watch its processes, so `up` and the client commands that find a local
 * orch need all of them. A client with `--host` needs only the network and the environment.
 *
 * @module
 */
import { OrchError } from "../domain/mod.ts";

/** One permission a command needs, and why. */
export interface Need {
  /** What to ask Deno; without one, `missing` says whether it is granted. */
  readonly descriptor?: Deno.PermissionDescriptor;
  readonly missing?: boolean;
  /** The flag that is missing, as the message names it: `--allow-read for /srv/app`. */
  readonly flag: string;
  /** What to add: `--allow-read=/srv/app` (default: `flag`). */
  readonly add?: string;
  readonly why: string;
}

/** A permission the command was not given. Exit status 2, like any usage error. */
export class PermissionError extends OrchError {
  constructor(message: string) {
    super(message, { exitCode: 2 });
    this.name = "PermissionError";
  }
}

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  return Deno.permissions.querySync(descriptor).state === "granted";
}

/**
 * Fails with the first need that is not granted.
 *
 * @throws PermissionError `orch up needs --allow-read=/srv/app (to read the stack file); ...`
 */
export function requireAll(command: string, needs: readonly Need[]): void {
  for (const need of needs) {
    if (need.descriptor ? granted(need.descriptor) : !need.missing) continue;
    // Worded as main's describeError words a NotCapable error, so that both read the same.
    throw new PermissionError(
      `orch was not given ${need.flag} (${command} needs it ${need.why}); run it with deno run ` +
        `-A, or add ${need.add ?? need.flag}`,
    );
  }
}

const read = (path: string, why: string): Need => ({
  descriptor: { name: "read", path },
  flag: `--allow-read for ${path}`,
  add: `--allow-read=${path}`,
  why,
});

/** What loading a stack needs: the files' directories (or the working directory), the env. */
export function loadNeeds(cwd: string, files: readonly string[]): Need[] {
  const dirs = files.length === 0 ? [cwd] : files.map((f) => {
    const path = f.startsWith("/") ? f : `${cwd}/${f}`;
    return path.slice(0, path.lastIndexOf("/")) || "/";
  });
  return [
    ...[...new Set(dirs)].map((d) => read(d, "to read the stack file and .env")),
    {
      descriptor: { name: "env" },
      flag: "--allow-env",
      why: "for ${VAR} in the stack file, and the services inherit the environment",
    },
  ];
}

/** Whether /proc can be read: Deno 2 allows it only when every permission is granted whole. */
function procReadable(): boolean {
  try {
    Deno.readTextFileSync("/proc/self/stat");
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) return false;
    return true; // not Linux, or no /proc: nothing that permissions change
  }
}

const WHOLE = ["read", "write", "net", "env", "run", "sys", "ffi", "import"] as const;

/**
 * Reading /proc, which orch needs to watch processes, and Deno grants only with every flag: the
 * need names the first permission not granted whole.
 */
function procNeed(what: string): Need {
  const missing = !procReadable();
  const short = missing
    ? WHOLE.find((name) => Deno.permissions.querySync({ name }).state !== "granted")
    : undefined;
  const flag = short ? `--allow-${short}` : "-A without any --deny-*";
  return {
    missing,
    flag,
    why: `${what}, and Deno 2 reads /proc only with every permission granted whole`,
  };
}

/** What `orch up` needs beyond loading the stack. */
export function upNeeds(): Need[] {
  return [
    procNeed(
      "to watch its processes: liveness, CPU and memory, cleanup after a crash, orphans as PID 1",
    ),
  ];
}

/** The commands that talk to a running orch. */
const CLIENT_COMMANDS = new Set([
  "status",
  "ps",
  "list",
  "logs",
  "events",
  "start",
  "stop",
  "restart",
  "scale",
  "send",
  "apply",
  "down",
  "attach",
  "tui",
]);

/**
 * What a client command (`status`, `logs`, `down`...) needs to find the orch running in the
 * project: the project (its `.orch/orch.json`), the environment, and /proc (a run file whose
 * process cannot be seen would be taken for a stale one), so every permission. With `--host` it
 * needs only `--allow-net=HOST:PORT` and `--allow-env`, which Deno asks for itself. Empty for
 * other commands.
 */
export function clientNeeds(args: readonly string[], cwd: string): Need[] {
  const command = args.find((a) => !a.startsWith("-"));
  if (!command || !CLIENT_COMMANDS.has(command)) return [];
  if (args.includes("--host")) return [];
  return [
    read(cwd, "to find the running orch's .orch/orch.json"),
    {
      descriptor: { name: "env" },
      flag: "--allow-env",
      why: "for ORCH_HOST, ORCH_TOKEN, NO_COLOR",
    },
    procNeed("to tell a running orch from a stale run file"),
  ];
}

/** Checks `clientNeeds` for a command line. */
export function requireForClient(args: readonly string[], cwd: string): void {
  const command = args.find((a) => !a.startsWith("-")) ?? "";
  requireAll(command, clientNeeds(args, cwd));
}
