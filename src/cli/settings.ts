/**
 * Settings from the environment, below the config file and the flags (Conducktor's order): the
 * orch to talk to (`ORCH_HOST`, or Conducktor's `CDKTR_HOST_PORT`, or `CDKTR_MASTER_HOST` with
 * `CDKTR_MASTER_PORT`) and the executors of the flows (`ORCH_MAX_EXECUTORS`, or
 * `CDKTR_MAX_EXECUTORS`), which a flows config's `scheduler.maxExecutors` and `--max-executors`
 * override.
 *
 * @module
 */
import { UsageError } from "../domain/mod.ts";

type Env = (name: string) => string | undefined;

/** The orch to talk to: `--host` (or `--host-port`), else the environment's. */
export function hostSetting(given: string | undefined, env: Env): string | undefined {
  if (given) return given;
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
 * The executors of the flows: `--max-executors`, else (when the config sets none) the
 * environment's, as a whole number; undefined leaves it to the config, then the cores.
 */
export function maxExecutorsSetting(
  flag: string | undefined,
  configured: number | undefined,
  env: Env,
): string | undefined {
  if (flag !== undefined || configured !== undefined) return flag;
  for (const name of ["ORCH_MAX_EXECUTORS", "CDKTR_MAX_EXECUTORS"]) {
    const value = env(name);
    if (value === undefined || value === "") continue;
    if (!/^\d{1,5}$/.test(value) || +value < 1 || +value > 10_000) {
      throw new UsageError(`${name}: expected a whole number from 1 to 10000, got "${value}"`);
    }
    return value;
  }
  return undefined;
}
