/**
 * How this program starts itself again (the background orch of `up -d`, the launcher `orch
 * install` writes): the Deno that runs it and the script, or the compiled binary.
 *
 * @module
 */

/**
 * V8's young generation capped at 4 MiB a semi-space (16 by default): under four log queries over
 * 100 MB the background orch peaks near 100 MiB instead of 128, at no measurable cost to log
 * throughput (4 x 250,000 lines took the same time within noise).
 */
export const V8_FLAGS = "--v8-flags=--max-semi-space-size=4";

/** How this program is started again: `deno run -A main.ts`, or the compiled binary itself. */
export function selfCommand(): string[] {
  const exe = Deno.execPath();
  const base = exe.slice(exe.lastIndexOf("/") + 1);
  if (base === "deno" || base === "deno.exe") {
    // The script orch was started from: main.ts, or the bundle in dist/.
    const main = new URL(Deno.mainModule);
    return [exe, "run", "-A", V8_FLAGS, main.protocol === "file:" ? main.pathname : main.href];
  }
  return [exe];
}
