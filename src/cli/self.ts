/**
 * How this program starts itself again (the background orch of `up -d`, the launcher `orch
 * install` writes, the short-lived config loader): the Deno that runs it and the script, or the
 * compiled binary. Each gets the same V8 flags.
 *
 * @module
 */

/**
 * V8's young generation capped at 1 MiB a semi-space (16 by default): with 100 services the
 * background orch holds about 4.5 MiB less (anonymous PSS 28.6 MiB instead of 33), and `orch
 * logs --since 1h` over 124 MB of NDJSON peaks at 131 MiB instead of 140 (4 MiB) or 145 (the
 * default), in the same time; 4 x 250,000 lines persist in the same time within noise.
 * The deno tasks, `deno task compile` and the release's `deno compile` carry the same flag.
 */
export const V8_FLAGS = "--v8-flags=--max-semi-space-size=1";

/**
 * `deno run` loads every module a local script could import, dynamic imports included (about 450
 * for main.ts), before it runs the first line: 9-10 ms of every start here. This flag loads a
 * dynamic import's modules when it runs. It is given only where orch grants reading files (a
 * dynamic import of a local module then needs it), and only for a local script.
 */
const LAZY_IMPORTS = "--unstable-lazy-dynamic-imports";

/** The script orch was started from (main.ts, or the bundle in dist/), when Deno runs it. */
function script(): string | undefined {
  const exe = Deno.execPath();
  const base = exe.slice(exe.lastIndexOf("/") + 1);
  if (base !== "deno" && base !== "deno.exe") return undefined;
  const main = new URL(Deno.mainModule);
  return main.protocol === "file:" ? decodeURIComponent(main.pathname) : main.href;
}

/**
 * The flags a script is run with: V8's, and lazy dynamic imports for a local one. The deno tasks
 * and the benchmarks (bench/lib.ts) run main.ts with the same.
 */
export function runFlags(main: string): string[] {
  return main.startsWith("/") ? [V8_FLAGS, LAZY_IMPORTS] : [V8_FLAGS];
}

/** How this program is started again: `deno run -A main.ts`, or the compiled binary itself. */
export function selfCommand(): string[] {
  const main = script();
  return main === undefined
    ? [Deno.execPath()]
    : [Deno.execPath(), "run", "-A", ...runFlags(main), main];
}

/**
 * The config loader's V8 flags: it lives for a load and answers, so its young generation keeps
 * V8's default size. With the engine's 1 MiB cap, scavenges took 7-14 ms of a 100-service load's
 * CPU here, 4-7 ms without it. A compiled binary starts its loader with no flags, so there the
 * loader has the cap it was built with.
 */
const LOADER_V8_FLAGS = "--v8-flags=--max-semi-space-size=16";

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
    ...runFlags(main).map((flag) => flag === V8_FLAGS ? LOADER_V8_FLAGS : flag),
    main,
    "__load-config",
  ];
}
