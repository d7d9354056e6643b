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

/** Runs `orch ARGS` in `cwd` (colour off) and waits for it. */
export async function runOrch(
  cwd: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    cwd,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}
