/**
 * Running the real CLI from tests: `deno run -A main.ts ...` in a directory, output collected.
 *
 * @module
 */

/** The path of main.ts. */
export const MAIN = new URL("../../main.ts", import.meta.url).pathname;

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
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
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
