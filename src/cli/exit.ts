/**
 * The one place that turns an error into what the user reads and the status orch exits with.
 *
 * 0 success; 1 a service failed, the running orch refused, or the machine said no (a port in use, a
 * file that cannot be read); 2 bad config or usage, including a permission `deno run` was not
 * given; 70 an internal error: a bug in orch, reported with its stack trace.
 *
 * It loads no library (commander's errors are recognised by their code), so the fast path of
 * `main.ts` can use it.
 *
 * @module
 */
import { OrchError, UsageError } from "../domain/mod.ts";

/** The exit status of an internal error (EX_SOFTWARE). */
export const INTERNAL = 70;

/** What each of Deno's permission flags is needed for, for the message that names it. */
const NEEDED_FOR: Readonly<Record<string, string>> = {
  run: "needed to start services",
  read: "needed to read the stack file and .orch/",
  write: "needed to write .orch/ (the run file, logs)",
  net: "needed for the control API, probes and Docker",
  env: "needed to read the environment",
  sys: "needed to read the system's state",
  ffi: "needed for native calls",
  import: "needed to load orch's modules",
};

function commanderCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" && code.startsWith("commander.") ? code : undefined;
}

/** Errors the machine gives for an ordinary reason (not a bug), by Deno's error class. */
function isEnvironmentError(error: unknown): error is Error {
  const e = Deno.errors;
  return [
    e.AddrInUse,
    e.AddrNotAvailable,
    e.PermissionDenied,
    e.NotFound,
    e.AlreadyExists,
    e.ConnectionRefused,
    e.ConnectionReset,
    e.BrokenPipe,
    e.IsADirectory,
    e.NotADirectory,
    e.FilesystemLoop,
    e.TimedOut,
  ].some((kind) => error instanceof kind) ||
    ["ENOSPC", "EDQUOT", "EROFS", "EMFILE", "ENFILE", "EIO"].includes(
      (error as { code?: string })?.code ?? "",
    );
}

/** The exit status for an error that ended a command. */
export function exitCodeOf(error: unknown): number {
  const commander = commanderCode(error);
  if (commander !== undefined) {
    return ["commander.helpDisplayed", "commander.version", "commander.help"].includes(commander)
      ? 0
      : 2;
  }
  if (error instanceof OrchError) return error.exitCode;
  if (error instanceof Deno.errors.NotCapable) return 2;
  if (isEnvironmentError(error)) return 1;
  return INTERNAL;
}

/** The permission flag a NotCapable error names (`--allow-run`), if it names one. */
function missingFlag(error: Error): string | undefined {
  return /--allow-([a-z]+)/.exec(error.message)?.[1];
}

function notGiven(flag: string): string {
  const why = NEEDED_FOR[flag] ? ` (${NEEDED_FOR[flag]})` : "";
  return `orch was not given --allow-${flag}${why}; run it with deno run -A, or add --allow-${flag}`;
}

/**
 * Fails at once, with the message of a missing permission, unless `deno run` granted `name`
 * whole: for permissions without which orch would start and then fail over and over.
 *
 * @throws {UsageError} when the permission is not granted.
 */
export function requirePermission(name: "run" | "net" | "read" | "write" | "env" | "sys"): void {
  if (Deno.permissions.querySync({ name }).state !== "granted") {
    throw new UsageError(notGiven(name));
  }
}

/**
 * The text that tells the user what failed and what to do: one line for every error but an
 * internal one, which carries its stack trace. Empty for commander's errors (it printed them).
 */
export function describeError(error: unknown): string {
  if (commanderCode(error) !== undefined) return "";
  if (error instanceof OrchError) return `orch: ${error.message}\n`;
  if (error instanceof Deno.errors.NotCapable) {
    const flag = missingFlag(error);
    return flag ? `orch: ${notGiven(flag)}\n` : `orch: ${error.message}; run it with deno run -A\n`;
  }
  if (error instanceof Deno.errors.AddrInUse) {
    return `orch: cannot listen: address in use (${error.message})\n`;
  }
  if (isEnvironmentError(error)) return `orch: ${error.message}\n`;
  return `orch: internal error (a bug in orch; please report it): ${
    (error as Error)?.stack ?? error
  }\n`;
}

/** Writes what the user reads about `error` and returns the exit status. */
export function reportError(err: (text: string) => void, error: unknown): number {
  const text = describeError(error);
  if (text) err(text);
  return exitCodeOf(error);
}
