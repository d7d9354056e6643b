/**
 * `orch up -d`: validate in the foreground, then start `orch up` as a background process in its own
 * session (its output to `.orch/orch.log`), and return once its control API answers; with `--wait`,
 * once every service is ready and every oneshot completed, or fail naming what is not.
 *
 * @module
 */
import { loadProject } from "../config/flows/load.ts";
import { parseDuration } from "../domain/duration.ts";
import { UsageError } from "../domain/errors.ts";
import type { InstanceStatus } from "../domain/state.ts";
import { type Client, connect } from "./client.ts";
import type { CliIO } from "./io.ts";
import { warnIfExposed } from "./serve.ts";
import { answers, ensureStateDir, findRunning, loadTokens, readRunFile } from "./state.ts";
import type { UpOptions } from "./up.ts";
import { dbPath } from "./flows.ts";
import { loadOptionsOf, printWarnings } from "./load_options.ts";
import { selfCommand } from "./self.ts";

export { selfCommand, V8_FLAGS } from "./self.ts";

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
  let exited: Deno.CommandStatus | undefined;
  child.status.then((s) => (exited = s));

  // Wait for the child's API (or its early death) under one deadline.
  const deadline = Date.now() + 30_000;
  let client: Client | undefined;
  while (!client) {
    if (exited) {
      const said = await tail(logFile, 20);
      io.err(
        `orch: the background orch exited (${exited.code}) before it started` +
          (said ? ":\n" : `, and ${logFile} is empty (is the disk full?)\n`),
      );
      io.err(said);
      return exited.code || 1;
    }
    if (Date.now() > deadline) {
      io.err(`orch: the background orch did not answer within 30s; see ${logFile}\n`);
      return 1;
    }
    const run = readRunFile(project);
    if (run?.pid === child.pid && await answers(run, 1000)) client = await connect({ project });
    if (!client) await new Promise((r) => setTimeout(r, 25));
  }
  child.unref();
  io.out(
    `started ${loaded.stack.name} in the background (pid ${child.pid}); ` +
      `orch status, orch logs -f, orch down\n`,
  );
  try {
    if (!options.wait) return 0;
    return await waitReady(io, client, waitMs);
  } finally {
    client.close();
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

/** Why an instance keeps the stack from being ready, or undefined when it does not. */
function problem(i: InstanceStatus): { fatal: boolean; text: string } | undefined {
  if (i.state === "ready" || i.state === "completed" || i.want === "down") return undefined;
  const text = `${i.id} ${i.state}${i.message ? `: ${i.message}` : ""}`;
  // Blocked behind a dependency that failed for good (not one that is still being restarted).
  const fatal = i.state === "failed" || (i.state === "waiting" && i.blocked?.because === "failed");
  return { fatal, text };
}

/** Polls status until all is ready, something failed for good, or the time is up. */
export async function waitReady(io: CliIO, client: Client, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let readyBefore = false;
  for (;;) {
    const status = await client.status();
    const problems = status.instances.flatMap((i) => {
      const p = problem(i);
      return p ? [p] : [];
    });
    // All ready on two polls in a row: a service without probes is ready the moment it starts,
    // and one that crashes at once should not count.
    if (problems.length === 0 && readyBefore) {
      io.out(`ready: ${status.instances.length} instance(s) ready or completed\n`);
      return 0;
    }
    readyBefore = problems.length === 0;
    if (readyBefore) {
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    const fatal = problems.filter((p) => p.fatal);
    if (fatal.length > 0 || status.phase === "stopping") {
      const ordered = [...fatal, ...problems.filter((p) => !p.fatal)];
      io.err(`orch: not ready:\n${ordered.map((p) => `  ${p.text}\n`).join("")}`);
      return 1;
    }
    if (Date.now() > deadline) {
      io.err(
        `orch: not ready after ${Math.round(timeoutMs / 1000)}s:\n${
          problems.map((p) => `  ${p.text}\n`).join("")
        }`,
      );
      return 1;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
