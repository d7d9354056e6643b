/**
 * Settings from the environment, then Conducktor's `conducktor.config.yaml` in the directory a
 * command runs in, then the flags, each overriding the one before (Conducktor's order): the orch
 * to talk to (`ORCH_HOST`, or Conducktor's `CDKTR_HOST_PORT`, or `CDKTR_MASTER_HOST` with
 * `CDKTR_MASTER_PORT`) and the executors of the flows (`ORCH_MAX_EXECUTORS`, or
 * `CDKTR_MAX_EXECUTORS`), which a flows config's `scheduler.maxExecutors` and `--max-executors`
 * override.
 *
 * @module
 */
import { formatIssue, UsageError } from "../domain/mod.ts";
import type { CliIO } from "./io.ts";

/** Where settings are looked up by their variable's name. */
export type Env = (name: string) => string | undefined;

const files = new Map<string, Promise<Env | undefined>>();

/**
 * The settings of `conducktor.config.yaml` in the command's directory, or undefined when there
 * is none (or it may not be read: a sandboxed client). Read once a process; the config libraries
 * are loaded only when the file exists. A key orch has no use for is a warning; a bad one fails
 * the command, naming its line.
 */
export function settingsFile(io: CliIO): Promise<Env | undefined> {
  let found = files.get(io.cwd);
  if (!found) {
    found = readSettings(io);
    files.set(io.cwd, found);
  }
  return found;
}

async function readSettings(io: CliIO): Promise<Env | undefined> {
  const path = `${io.cwd.replace(/\/$/, "")}/conducktor.config.yaml`;
  // A sandboxed client (`--allow-net --allow-env` with --host) may not read here: no file then.
  if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") return undefined;
  let text: string;
  try {
    if (!(await Deno.stat(path)).isFile) return undefined;
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new UsageError(`${path} cannot be read: ${(error as Error).message}`);
  }
  const { parseSettingsFile } = await import("../config/mod.ts");
  const { values, unused } = parseSettingsFile(path, text);
  for (const issue of unused) io.err(`warning: ${formatIssue(issue)}\n`);
  return (name) => values.get(name);
}

/**
 * The orch to talk to: `--host` (or `--host-port`), else the settings file's, else the
 * environment's.
 */
export function hostSetting(
  given: string | undefined,
  env: Env,
  file?: Env,
): string | undefined {
  if (given) return given;
  return (file && hostOf(file)) ?? hostOf(env);
}

function hostOf(env: Env): string | undefined {
  const host = env("ORCH_HOST") || env("CDKTR_HOST_PORT");
  if (host) return host;
  const master = env("CDKTR_MASTER_HOST");
  const port = env("CDKTR_MASTER_PORT");
  if (master && port) return `${master}:${port}`;
  if (master || port) {
    throw new UsageError(
      `CDKTR_MASTER_HOST and CDKTR_MASTER_PORT go together (only ${
        master ? "the host" : "the port"
      } is set)`,
    );
  }
  return undefined;
}

/**
 * The executors of the flows: `--max-executors`, else (when the flows config sets none) the
 * settings file's, else the environment's, as a whole number; undefined leaves it to the
 * config, then the cores.
 */
export function maxExecutorsSetting(
  flag: string | undefined,
  configured: number | undefined,
  env: Env,
  file?: Env,
): string | undefined {
  if (flag !== undefined || configured !== undefined) return flag;
  const names = ["ORCH_MAX_EXECUTORS", "CDKTR_MAX_EXECUTORS"];
  const candidates: [Env, string][] = [
    ...(file ? names.map((n): [Env, string] => [file, `conducktor.config.yaml: ${n}`]) : []),
    ...names.map((n): [Env, string] => [env, n]),
  ];
  for (const [from, label] of candidates) {
    const value = from(label.replace(/^.*: /, ""));
    if (value === undefined || value === "") continue;
    if (!/^\d{1,5}$/.test(value) || +value < 1 || +value > 10_000) {
      throw new UsageError(`${label}: expected a whole number from 1 to 10000, got "${value}"`);
    }
    return value;
  }
  return undefined;
}

/** The flows' executors for a command: {@link maxExecutorsSetting} with the settings file, checked. */
export async function maxExecutorsOf(
  io: CliIO,
  flag: string | undefined,
  configured: number | undefined,
): Promise<number | undefined> {
  return parseMaxExecutors(maxExecutorsSetting(flag, configured, io.env, await settingsFile(io)));
}

/** Parses `--max-executors`. */
function parseMaxExecutors(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) {
    throw new UsageError(
      `--max-executors: expected a whole number from 1 to 10000, got "${value}"`,
    );
  }
  return n;
}
