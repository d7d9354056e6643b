/**
 * `orch install [--dir /usr/local/bin]`: puts `orch` on the PATH, and `entrypoint` beside it as a
 * compatibility name (TM Orchestrator's auto-installation). A compiled orch is linked; orch run by
 * Deno (`deno run main.ts`, the bundle, `jsr:@orch/cli`) gets a two-line `/bin/sh` launcher that
 * runs the same script with the same Deno. orch as PID 1 does it by itself when `orch` is not on
 * the PATH yet, so that `docker exec CONTAINER orch status` works.
 *
 * @module
 */
import { OrchError } from "../domain/mod.ts";
import { selfCommand } from "./self.ts";
import type { CliIO } from "./io.ts";

/** Where `orch install` puts orch by default. */
export const DEFAULT_INSTALL_DIR = "/usr/local/bin";

/** The first lines of the launcher orch writes, by which it knows one of its own. */
const MARK = "# orch launcher, written by `orch install`";

/** What `install` did. */
export interface Installed {
  readonly dir: string;
  /** The path of `orch`, and what it is: a link to the binary, or a launcher script. */
  readonly orch: string;
  readonly kind: "link" | "launcher";
  readonly entrypoint: string;
}

function quote(word: string): string {
  return `'${word.replaceAll("'", `'"'"'`)}'`;
}

/** The launcher script for a command line such as `deno run -A /opt/orch/orch.js`. */
export function launcherFor(command: readonly string[]): string {
  return `#!/bin/sh\n${MARK}\nexec ${command.map(quote).join(" ")} "$@"\n`;
}

function lstat(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Whether `path` may be replaced: missing, a link, or a launcher orch wrote. */
function replaceable(path: string): boolean {
  const info = lstat(path);
  if (!info || info.isSymlink) return true;
  if (!info.isFile) return false;
  try {
    return Deno.readTextFileSync(path).split("\n")[1] === MARK;
  } catch {
    return false;
  }
}

function replaceWith(path: string, make: (tmp: string) => void): void {
  const tmp = `${path}.orch-${Deno.pid}.tmp`;
  try {
    Deno.removeSync(tmp);
  } catch {
    // not there
  }
  make(tmp);
  Deno.renameSync(tmp, path);
}

/**
 * Installs orch into `dir`: `orch` (a link to the running binary, or a launcher for the running
 * script) and `entrypoint` (a link to `orch`). An `orch` or `entrypoint` there that orch did not
 * make is left alone unless `force`.
 *
 * @throws OrchError when the directory is missing or not writable, or holds someone else's file.
 */
export function install(
  dir: string,
  options: { force?: boolean; command?: readonly string[] } = {},
): Installed {
  const command = options.command ?? selfCommand();
  const orch = `${dir}/orch`;
  const entrypoint = `${dir}/entrypoint`;
  if (!lstat(dir)?.isDirectory) {
    throw new OrchError(`cannot install into ${dir}: no such directory`);
  }
  for (const path of [orch, entrypoint]) {
    if (!options.force && !replaceable(path)) {
      throw new OrchError(`cannot install: ${path} exists and is not orch's (use --force)`);
    }
  }
  const binary = command.length === 1;
  try {
    if (binary) {
      const target = Deno.realPathSync(command[0]);
      if (target !== orch) replaceWith(orch, (tmp) => Deno.symlinkSync(target, tmp));
    } else {
      replaceWith(orch, (tmp) => {
        Deno.writeTextFileSync(tmp, launcherFor(command), { mode: 0o755 });
        Deno.chmodSync(tmp, 0o755);
      });
    }
    replaceWith(entrypoint, (tmp) => Deno.symlinkSync("orch", tmp));
  } catch (error) {
    if (error instanceof OrchError) throw error;
    throw new OrchError(`cannot install into ${dir}: ${(error as Error).message}`);
  }
  return { dir, orch, kind: binary ? "link" : "launcher", entrypoint };
}

/** The directory on `PATH` where `orch` is found, if it is. */
export function onPath(path: string | undefined): string | undefined {
  for (const dir of (path ?? "").split(":").filter(Boolean)) {
    const info = lstat(`${dir}/orch`);
    if (info && (info.isFile || info.isSymlink)) return dir;
  }
  return undefined;
}

/** `orch install`: returns the exit status. */
export function installCommand(io: CliIO, options: { dir?: string; force?: boolean }): number {
  const dir = (options.dir ?? DEFAULT_INSTALL_DIR).replace(/(.)\/+$/, "$1");
  const done = install(dir, { force: options.force });
  const what = done.kind === "link" ? "a link to this binary" : "a launcher for this script";
  io.out(`installed ${done.orch} (${what}) and ${done.entrypoint} -> orch\n`);
  return 0;
}
