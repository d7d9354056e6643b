/**
 * How this program starts itself again (the background orch of `up -d`, the launcher `orch
 * install` writes, the short-lived config loader): the Deno that runs it and the script, or the
 * compiled binary. Each gets the same V8 flags.
 *
 * @module
 */

/**
 * V8's young generation capped at 4 MiB a semi-space (16 by default): under four log queries over
 * 100 MB the background orch peaks near 100 MiB instead of 128, at no measurable cost to log
 * throughput (4 x 250,000 lines took the same time within noise).
 */
export const V8_FLAGS = "--v8-flags=--max-semi-space-size=4";

/** The script orch was started from (main.ts, or the bundle in dist/), when Deno runs it. */
function script(): string | undefined {
  const exe = Deno.execPath();
  const base = exe.slice(exe.lastIndexOf("/") + 1);
  if (base !== "deno" && base !== "deno.exe") return undefined;
  const main = new URL(Deno.mainModule);
  return main.protocol === "file:" ? decodeURIComponent(main.pathname) : main.href;
}

/** How this program is started again: `deno run -A main.ts`, or the compiled binary itself. */
export function selfCommand(): string[] {
  const main = script();
  return main === undefined ? [Deno.execPath()] : [Deno.execPath(), "run", "-A", V8_FLAGS, main];
}

/**
 * The config loader process (`__load-config`): it may read files and the environment, nothing
 * else, and never prompts.
 */
export function loaderCommand(): string[] {
  const main = script();
  return main === undefined ? [Deno.execPath(), "__load-config"] : [
    Deno.execPath(),
    "run",
    "--allow-read",
    "--allow-env",
    "--no-prompt",
    V8_FLAGS,
    main,
    "__load-config",
  ];
}
