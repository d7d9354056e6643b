/**
 * Running the real CLI from tests: `deno run -A main.ts ...` in a directory, output collected.
 *
 * `ORCH_TEST_BIN` runs the tests against something else than the source: a bundle
 * (`ORCH_TEST_BIN=dist/orch.js`, run with `deno run -A`) or a compiled binary (run as it is).
 * A relative path starts from the repository.
 *
 * @module
 */

/** The repository's root directory. */
export const ROOT = new URL("../../", import.meta.url).pathname;

const testBin = Deno.env.get("ORCH_TEST_BIN");
const target = testBin ? (testBin.startsWith("/") ? testBin : `${ROOT}${testBin}`) : undefined;

/** The script `deno run -A` runs for orch: main.ts, or the bundle named by `ORCH_TEST_BIN`. */
export const MAIN = target && /\.[cm]?[jt]s$/.test(target)
  ? target
  : new URL("../../main.ts", import.meta.url).pathname;

/** The command line that runs orch: `deno run -A MAIN`, or the compiled binary. */
export function orchArgv(): string[] {
  if (target && !/\.[cm]?[jt]s$/.test(target)) return [target];
  return [Deno.execPath(), "run", "-A", MAIN];
}

/** What a run printed and how it exited. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `orch ARGS` in `cwd` (colour off) and waits for it; with `timeoutMs`, a run that takes
 * longer is killed (and its result says so, exit code 137).
 */
export async function runOrch(
  cwd: string,
  args: readonly string[],
  env: Record<string, string> = {},
  options: { timeoutMs?: number } = {},
): Promise<CliResult> {
  const [program, ...rest] = orchArgv();
  const child = new Deno.Command(program, {
    args: [...rest, ...args],
    cwd,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = options.timeoutMs === undefined
    ? undefined
    : setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
  const out = await child.output().finally(() => clearTimeout(timer));
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}
