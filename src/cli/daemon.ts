/**
 * `orch up -d`: validate in the foreground, then start `orch up` as a background process in its own
 * session (its output to `.orch/orch.log`), and return once its control API answers (told by its
 * run file and socket appearing, or its exit); with `--wait`, once every service is ready and
 * every oneshot completed, or fail naming what is not (see wait_ready.ts).
 *
 * @module
 */
import { loadProject } from "../config/flows/mod.ts";
import { parseDuration, UsageError } from "../domain/mod.ts";
import { connect } from "./client.ts";
import type { CliIO } from "./io.ts";
import { warnIfExposed } from "./serve.ts";
import {
  answers,
  ensureStateDir,
  findRunning,
  loadTokens,
  readRunFile,
  stateDir,
} from "./state.ts";
import { waitReady } from "./wait_ready.ts";
import type { UpOptions } from "./up_options.ts";
import { dbPath } from "./flows.ts";
import { loadOptionsOf, printWarnings } from "./load_options.ts";
import { selfCommand } from "./self.ts";

/** Starts the stack in the background; returns the exit status for the foreground command. */
export async function upDetached(
  io: CliIO,
  files: readonly string[],
  options: UpOptions,
): Promise<number> {
  const waitMs = options.timeout ? parseDuration(options.timeout) : 300_000;
  if (waitMs === undefined) {
    throw new UsageError(`--timeout: "${options.timeout}" is not a duration`);
  }
  const loaded = await loadProject(files, { cwd: io.cwd, env: io.env, ...loadOptionsOf(options) });
  printWarnings(io, loaded.warnings);
  const project = loaded.project;
  const running = await findRunning(project);
  if (running) {
    io.err(
      `orch: orch is already running this project (pid ${running.pid}); ` +
        `use orch status, orch apply or orch down\n`,
    );
    return 1;
  }
  const dir = await ensureStateDir(project);
  const logFile = `${dir}/orch.log`;
  // The background orch's output holds what services print: for orch's user only.
  await Deno.writeFile(logFile, new Uint8Array(), { append: true, mode: 0o600 });
  await Deno.chmod(logFile, 0o600);
  if (options.listen) {
    warnIfExposed(io, options.listen);
    // The tokens go to .orch/tokens.json (mode 0600), where the background orch reads them:
    // a secret on its command line would be readable by every user of the machine (ps).
    await loadTokens(project, options.token);
  }
  const args = [
    "up",
    "--no-tui",
    "--daemon-child",
    // The files as given (a directory stays one), so that the child finds the same project.
    ...(files.length > 0
      ? files.map((f) => (f.startsWith("/") ? f : `${io.cwd}/${f}`))
      : loaded.files)
      .flatMap((f) => ["-f", f]),
    ...(options.db ? ["--db", dbPath(options.db, io.cwd)!] : []),
    ...(options.maxExecutors ? ["--max-executors", options.maxExecutors] : []),
    ...(options.profile ?? []).flatMap((p) => ["--profile", p]),
    ...(options.formation ? ["--formation", options.formation] : []),
    ...(options.listen ? ["--listen", options.listen] : []),
  ];
  // sh puts the output in the log file and detaches stdin; the child has its own session.
  const child = new Deno.Command("sh", {
    // The services inherit exactly the environment `orch up -d` was given.
    args: [
      "-c",
      'log=$1; shift; exec "$@" >>"$log" 2>&1 </dev/null',
      "sh",
      logFile,
      ...selfCommand(),
      ...args,
    ],
    cwd: io.cwd,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  const start = await started(project, child, 30_000);
  if (start !== "ready") {
    child.unref();
    if (start === "late") {
      io.err(`orch: the background orch did not answer within 30s; see ${logFile}\n`);
      return 1;
    }
    const said = await tail(logFile, 20);
    io.err(
      `orch: the background orch exited (${start.code}) before it started` +
        (said ? ":\n" : `, and ${logFile} is empty (is the disk full?)\n`),
    );
    io.err(said);
    return start.code || 1;
  }
  child.unref();
  const client = await connect({ project });
  io.out(
    `started ${loaded.stack.name} in the background (pid ${child.pid}); ` +
      `orch status, orch logs -f, orch down\n`,
  );
  try {
    if (options.ui) await (await import("./ui.ts")).showDashboard(io, client, {});
    if (!options.wait) return 0;
    return await waitReady(io, client, waitMs);
  } finally {
    client.close();
  }
}

/**
 * Waits until the background orch `child` of `project` answers on its socket, told by the run
 * file and the socket appearing in `.orch/` (not by polling), or until it exits (its status), or
 * `timeoutMs` passes. Where the directory cannot be watched (no inotify instance left), it looks
 * every 25ms instead.
 */
async function started(
  project: string,
  child: Deno.ChildProcess,
  timeoutMs: number,
): Promise<"ready" | "late" | Deno.CommandStatus> {
  let watcher: Deno.FsWatcher | undefined;
  try {
    watcher = Deno.watchFs(stateDir(project), { recursive: false });
  } catch {
    // no watcher: look now and then
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => (timer = setTimeout(resolve, timeoutMs, "late")));
  let over = false;
  const ready = async () => {
    const run = readRunFile(project);
    return run?.pid === child.pid && await answers(run, 5000);
  };
  const changes = (async () => {
    // It may have started before the watcher did.
    if (await ready()) return "ready" as const;
    if (!watcher) {
      while (!over) {
        await new Promise((r) => setTimeout(r, 25));
        if (!over && await ready()) return "ready" as const;
      }
      return "late" as const;
    }
    for await (const event of watcher) {
      if (!event.paths.some((p) => /\/orch\.(json|sock)$/.test(p))) continue;
      if (await ready()) return "ready" as const;
    }
    return "late" as const;
  })();
  try {
    return await Promise.race([changes, child.status, late]);
  } finally {
    over = true;
    clearTimeout(timer);
    watcher?.close();
    await changes.catch(() => {});
  }
}

async function tail(file: string, lines: number): Promise<string> {
  try {
    const text = await Deno.readTextFile(file);
    if (text.trim() === "") return "";
    return text.trimEnd().split("\n").slice(-lines).map((l) => `  ${l}\n`).join("");
  } catch {
    return "";
  }
}
