/**
 * `orch exec [OPTIONS] -- CMD [ARGS...]` (Conducktor's `run`): one command run as a one-task run of
 * the ad-hoc flow `@exec` in an executor of the running orch (local, or `--host` with a token),
 * recorded in its history; the command's stdout and stderr come out on orch's, and its exit status
 * is orch's (124 after `--timeout`, 128+N for a signal, 127 when it could not start). Ctrl-C
 * cancels the run. With no orch running for the project, the command runs in this process, with
 * the project's history database (`.orch/history.db`, or `--db`): recorded just the same.
 *
 * @module
 */
import type { ExecEvent, ExecInput, FlowControl } from "../control/mod.ts";
import {
  NO_FLOWS,
  parseDuration,
  type RunRecord,
  type TaskRunRecord,
  UsageError,
} from "../domain/mod.ts";
import { absolute, type ClientOptions, interruptible, projectOf, withClient } from "./commands.ts";
import { connect, findProject } from "./client.ts";
import { statusOf } from "./exit_status.ts";
import type { CliIO } from "./io.ts";
import { terminalCleaner } from "./printer.ts";
import { hostSetting, settingsFile } from "./settings.ts";
import { findRunning, stateDir } from "./state.ts";
import { styleOf } from "./style.ts";

/** Options of `orch exec`. */
export interface ExecOptions extends ClientOptions {
  /** `K=V`, or `K` for this environment's value. */
  readonly env?: readonly string[];
  readonly timeout?: string;
  readonly cwd?: string;
  /** `POOL=N`, or `POOL` for one slot. */
  readonly slot?: readonly string[];
  /** With no orch running: the history database. */
  readonly db?: string;
}

/** The exit status of an ended exec: the command's, as a shell reports it. */
export function execExitCode(run: RunRecord, task: TaskRunRecord | undefined): number {
  if (run.status === "succeeded") return 0;
  if (task?.error?.startsWith("timed out")) return 124;
  if (task?.exit) {
    const status = statusOf(task.exit);
    return status === 0 ? 1 : status;
  }
  return run.status === "cancelled" ? 130 : 127;
}

/** The request `orch exec`'s command line makes. */
export function execInputOf(
  io: CliIO,
  command: readonly string[],
  options: ExecOptions,
  remote: boolean,
): ExecInput {
  if (command.length === 0) {
    throw new UsageError("orch exec needs a command: orch exec [OPTIONS] -- CMD [ARGS...]");
  }
  const env: Record<string, string> = Object.create(null);
  for (const item of options.env ?? []) {
    const eq = item.indexOf("=");
    const key = eq < 0 ? item : item.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new UsageError(`--env ${item.slice(0, 40)}: expected NAME=VALUE or NAME`);
    }
    const value = eq < 0 ? io.env(key) : item.slice(eq + 1);
    if (value === undefined) throw new UsageError(`--env ${key}: ${key} is not set here`);
    env[key] = value;
  }
  const slots: Record<string, number> = Object.create(null);
  for (const item of options.slot ?? []) {
    const m = /^([^=]+)(?:=([1-9]\d{0,5}))?$/.exec(item);
    if (!m) throw new UsageError(`--slot ${item.slice(0, 40)}: expected POOL=N or POOL`);
    slots[m[1]] = Number(m[2] ?? 1);
  }
  let timeoutMs: number | undefined;
  if (options.timeout !== undefined) {
    timeoutMs = parseTimeout(options.timeout);
  }
  // Here the command runs where it was typed; on another machine, in that orch's project.
  const cwd = options.cwd !== undefined
    ? (remote ? options.cwd : absolute(io.cwd, options.cwd))
    : (remote ? undefined : io.cwd);
  return {
    command,
    ...(Object.keys(env).length ? { env: { ...env } } : {}),
    ...(cwd !== undefined ? { cwd } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(Object.keys(slots).length ? { slots: { ...slots } } : {}),
  };
}

function parseTimeout(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    throw new UsageError(`--timeout: "${text}" is not a duration above 0 (30s, 5m, 500ms)`);
  }
  return ms;
}

/** `orch exec`. */
export async function execCommand(
  io: CliIO,
  command: readonly string[],
  options: ExecOptions,
): Promise<number> {
  const remote =
    hostSetting(options.host, io.env, options.host ? undefined : await settingsFile(io)) !==
      undefined;
  const input = execInputOf(io, command, options, remote);
  if (!remote) {
    const project = options.file?.length
      ? projectOf(io, options)
      : findProject(io.cwd) ?? findProject(io.cwd, "history.db") ?? io.cwd;
    if (!await findRunning(project)) return await execHere(io, project, input, options);
    const client = await connect({ project });
    try {
      return await stream(io, client.flows, input);
    } finally {
      client.close();
    }
  }
  return withClient(io, options, (client) => stream(io, client.flows, input));
}

/** Streams an exec to this terminal and returns the command's exit status. */
export async function stream(io: CliIO, flows: FlowControl, input: ExecInput): Promise<number> {
  const events = await flows.exec(input);
  const clean = terminalCleaner({ terminal: io.isTerminal, colors: styleOf(io, true).enabled });
  using interrupt = interruptible(io);
  let run: RunRecord | undefined;
  let end: Extract<ExecEvent, { type: "end" }> | undefined;
  let cancelling = false;
  const cancel = () => {
    if (!run || cancelling) return;
    cancelling = true;
    io.err(`orch: cancelling run ${run.id}\n`);
    flows.cancel(run.id).catch((e) => io.err(`orch: ${(e as Error).message}\n`));
  };
  interrupt.signal.addEventListener("abort", cancel, { once: true });
  try {
    for await (const event of events) {
      if (event.type === "run") {
        run = event.run;
        if (interrupt.signal.aborted) cancel();
      } else if (event.type === "output") {
        let out = "";
        let err = "";
        for (const r of event.records) {
          const line = (clean ? clean(r.msg) : r.msg) + "\n";
          if (r.stream === "stdout") out += line;
          else if (r.stream === "stderr") err += line;
          else err += `orch: ${line}`;
        }
        if (out) io.out(out);
        if (err) io.err(err);
      } else end = event;
    }
  } finally {
    events.close();
  }
  if (!end) {
    io.err(
      `orch: the stream ended before the command did (orch stopped, or the connection broke)` +
        (run ? `; orch run show ${run.id} tells how it ended\n` : "\n"),
    );
    return 1;
  }
  if (end.run.status !== "succeeded") {
    const why = end.task?.error ?? end.run.reason ?? end.run.status;
    io.err(`orch: run ${end.run.id} ${end.run.status}: ${why}\n`);
  }
  return execExitCode(end.run, end.task);
}

/** With no orch running: a scheduler of no flows in this process, on the project's history. */
async function execHere(
  io: CliIO,
  project: string,
  input: ExecInput,
  options: ExecOptions,
): Promise<number> {
  const [{ openFlows, dbPath }, { localFlows }, { LogHub }, { ProcessRuntime }] = await Promise
    .all([
      import("./flows.ts"),
      import("../control/mod.ts"),
      import("../log/mod.ts"),
      import("../runtime/process/mod.ts"),
    ]);
  const logs = new LogHub();
  const runtime = new ProcessRuntime({ project });
  try {
    const parts = openFlows(NO_FLOWS, {
      stateDir: stateDir(project),
      stack: project.slice(project.lastIndexOf("/") + 1) || "orch",
      logs,
      runtimes: { process: runtime },
      emit: () => {},
      db: dbPath(options.db, io.cwd),
      baseEnv: io.environment(),
    });
    try {
      // No recovery: the flows of this project are not loaded here, their runs are not ours.
      parts.scheduler.start({ schedules: false, recover: false, follow: false });
      const flows = localFlows(parts.scheduler, parts.store, { logs, dir: project });
      return await stream(io, flows, input);
    } finally {
      await parts.scheduler.stop();
      parts.close();
    }
  } finally {
    await runtime.close();
    logs.close();
  }
}
