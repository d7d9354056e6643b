/**
 * Starting one process: the program looked up on the service's PATH, then the chain that puts it in
 * place before it runs. With cgroups, `sh` writes its own pid into each `cgroup.procs` and then execs
 * the rest, so the process is in its cgroups before it can fork; `setsid` gives it its own session
 * and process group; as root, `setpriv` switches user (and makes the process die with orch,
 * `--pdeathsig`). Without a user switch there is no `setpriv`: the guard (src/runtime/guard.ts)
 * kills everything an instance started when orch dies, and with one program fewer to start, a
 * Deno loop of 100 spawns took 144-149 ms here instead of 195-216.
 * Every program is started with posix_spawn (no fork of orch), whatever orch's size.
 *
 * @module
 */
import { OrchError } from "../../domain/mod.ts";

/** Quotes a word for `sh`. */
function shQuote(word: string): string {
  return /^[A-Za-z0-9_\/.:=,+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'"'"'`)}'`;
}

/**
 * Runs argv on a pseudo-terminal (`tty: true`) through util-linux `script`: the program sees a
 * terminal on stdin, stdout and stderr; its output (merged, with CRLF line ends) comes back on
 * script's stdout, and its exit status is script's (`-e`).
 */
export function withTerminal(argv: readonly string[]): string[] {
  return ["script", "-qfec", argv.map(shQuote).join(" "), "/dev/null"];
}

const found = new Map<string, string | null>();
/** The path of a system helper (`sh`, `setsid`, `setpriv`), or null. */
export function helper(name: string): string | null {
  if (!found.has(name)) {
    found.set(name, null);
    for (const dir of ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]) {
      try {
        Deno.statSync(`${dir}/${name}`);
        found.set(name, `${dir}/${name}`);
        break;
      } catch {
        // not here
      }
    }
    // Busybox's setpriv has neither --pdeathsig nor --reuid: only util-linux's will do.
    const path = found.get(name);
    if (name === "setpriv" && path) {
      try {
        if (Deno.realPathSync(path).endsWith("/busybox")) found.set(name, null);
      } catch {
        found.set(name, null);
      }
    }
  }
  return found.get(name)!;
}

function executable(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * Where a program was found on a PATH lately, as a shell hashes command locations: a hundred
 * services that start `sleep` at once search PATH once (every directory before the right one is
 * a failed stat, and Deno builds an error for each). Kept for a second, and checked on use.
 */
const located = new Map<string, { readonly path: string; readonly at: number }>();
const REMEMBER_MS = 1000;

/** Finds the program of argv on the PATH of `env`, relative to `cwd`; undefined when it is missing. */
export function findProgram(
  program: string,
  cwd: string,
  env: Record<string, string>,
): string | undefined {
  if (program.includes("/")) {
    const path = program.startsWith("/") ? program : `${cwd}/${program}`;
    return executable(path) ? path : undefined;
  }
  const search = env.PATH ?? "/usr/local/bin:/usr/bin:/bin";
  const key = `${search}\0${program}`;
  const now = performance.now();
  const known = located.get(key);
  if (known && now - known.at < REMEMBER_MS && executable(known.path)) return known.path;
  for (const dir of search.split(":")) {
    if (dir === "") continue;
    const candidate = `${dir}/${program}`;
    if (!executable(candidate)) continue;
    if (located.size >= 1000) located.clear();
    located.set(key, { path: candidate, at: now });
    return candidate;
  }
  return undefined;
}

/** The sh script that joins cgroups: `JOIN N FILE... PROGRAM ARGS...`. */
const JOIN = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ >"$1" || ' +
  '{ echo "orch: cannot place the process in $1" >&2; exit 125; }; shift; n=$((n-1)); done; ' +
  'exec "$@"';
/**
 * The same, for a command that is itself a shell script (`sh -c SCRIPT`): the shell that joins the
 * cgroups runs the script (`JOIN_RUN N FILE... SCRIPT`), one program fewer to start. The script
 * sees what `sh -c` shows it: no positional parameters, no variable of the joining.
 */
const JOIN_RUN = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ >"$1" || ' +
  '{ echo "orch: cannot place the process in $1" >&2; exit 125; }; shift; n=$((n-1)); done; ' +
  'unset n; eval "set --\n$1"';

const real = new Map<string, string>();
/** A path with its links resolved (cached: the helpers do not move). */
function realPath(path: string): string {
  let resolved = real.get(path);
  if (resolved === undefined) {
    try {
      resolved = Deno.realPathSync(path);
    } catch {
      resolved = path;
    }
    real.set(path, resolved);
  }
  return resolved;
}

/** What to start and how. */
export interface SpawnRequest {
  readonly argv: readonly string[];
  readonly cwd: string;
  /** The whole environment (markers included). */
  readonly env: Record<string, string>;
  readonly ids?: { readonly uid: number; readonly gid: number };
  /** `cgroup.procs` files to join before the program runs. */
  readonly join?: readonly string[];
}

/**
 * Spawns the process in its own session and process group, its stdio piped.
 *
 * @throws {OrchError} when the program, the directory or the user switch is not possible.
 */
export function spawnProcess(request: SpawnRequest): Deno.ChildProcess {
  const { argv, cwd, env, ids } = request;
  const program = findProgram(argv[0], cwd, env);
  if (!program) {
    throw new OrchError(
      argv[0].includes("/") ? `${argv[0]}: no such executable` : `${argv[0]}: command not found`,
    );
  }
  if (ids && Deno.uid() !== 0 && (ids.uid !== Deno.uid() || ids.gid !== Deno.gid())) {
    throw new OrchError(`cannot switch to uid ${ids.uid}: orch is not running as root`);
  }
  const setpriv = ids ? helper("setpriv") : null;
  const setsid = helper("setsid");
  const sh = request.join?.length ? helper("sh") : null;
  if (request.join?.length && !sh) throw new OrchError("cannot join the cgroups: no /bin/sh");
  // Switching user after joining the cgroups needs setpriv; without it, Deno switches (a fork),
  // which would leave sh without the right to move itself.
  const switchBySetpriv = ids !== undefined && setpriv !== null && setsid !== null;
  if (ids && sh && !switchBySetpriv) {
    throw new OrchError(
      `cannot switch to uid ${ids.uid} inside the instance's cgroup: util-linux setpriv and ` +
        "setsid are needed",
    );
  }
  // Without setsid (or when Deno switches the user), Deno makes the session itself.
  const useSetsid = setsid !== null && (!ids || switchBySetpriv);
  // A shell script run without a user switch: the joining shell runs it, last in the chain
  // (setsid starts no process: nothing runs outside the cgroups before it).
  if (
    sh && !ids && argv.length === 3 && argv[1] === "-c" && (argv[0] === "sh" || argv[0] === sh) &&
    realPath(program) === realPath(sh)
  ) {
    return start([
      ...(useSetsid ? [setsid] : []),
      sh,
      "-c",
      JOIN_RUN,
      program, // $0, as `sh -c` would show it
      String(request.join!.length),
      ...request.join!,
      argv[2],
    ], { cwd, env, detached: !useSetsid, argv0: argv[0] });
  }
  const full = [
    ...(sh ? [sh, "-c", JOIN, "sh", String(request.join!.length), ...request.join!] : []),
    ...(useSetsid ? [setsid] : []),
    ...(switchBySetpriv
      ? [
        setpriv,
        `--reuid=${ids.uid}`,
        `--regid=${ids.gid}`,
        "--clear-groups",
        "--pdeathsig",
        "SIGKILL",
        "--",
      ]
      : []),
    program,
    ...argv.slice(1),
  ];
  return start(full, {
    cwd,
    env,
    detached: !useSetsid,
    argv0: argv[0],
    ...(ids && !switchBySetpriv ? { ids } : {}),
  });
}

/** Spawns `full` (the chain), its stdio piped; errors as {@link spawnProcess} says. */
function start(
  full: readonly string[],
  options: {
    cwd: string;
    env: Record<string, string>;
    detached: boolean;
    argv0: string;
    ids?: { readonly uid: number; readonly gid: number };
  },
): Deno.ChildProcess {
  const { cwd, env, detached, ids } = options;
  try {
    const child = new Deno.Command(full[0], {
      args: full.slice(1),
      cwd,
      env,
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      detached,
      ...(ids ? { uid: ids.uid, gid: ids.gid } : {}),
    }).spawn();
    // A detached child does not keep the event loop alive by itself; orch waits for it.
    child.ref();
    return child;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new OrchError(`${cwd}: no such directory`);
    if (error instanceof Deno.errors.PermissionDenied && ids) {
      throw new OrchError(`cannot switch to uid ${ids.uid}: orch is not running as root`);
    }
    throw new OrchError(`cannot start ${options.argv0}: ${(error as Error).message}`);
  }
}
