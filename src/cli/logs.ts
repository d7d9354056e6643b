/**
 * `orch logs`: from the running orch (its rings, then its persisted log for older lines), or,
 * when no orch runs the project, straight from `.orch/logs/orch.ndjson` and its rotated
 * generations, with the same filters. Either way the records stream: memory stays bounded
 * whatever the size of the logs (with `-n N`, by N).
 *
 * @module
 */
import {
  didYouMean,
  type Level,
  LEVELS,
  type LogQuery,
  type LogRecord,
  NotFoundError,
  OrchError,
  parseTimeAgo,
  UsageError,
} from "../domain/mod.ts";
import { findProject } from "./client.ts";
import { type ClientOptions, closing, interruptible, projectOf, withClient } from "./commands.ts";
import type { CliIO } from "./io.ts";
import { LinePrinter, terminalCleaner } from "./printer.ts";
import { dirOf, findRunning, stateDir } from "./state.ts";
import { hostSetting, settingsFile } from "./settings.ts";
import { styleOf } from "./style.ts";

/** Options of `orch logs`. */
export interface LogsOptions extends ClientOptions {
  readonly follow?: boolean;
  readonly since?: string;
  readonly tail?: string;
  readonly json?: boolean;
  readonly level?: string;
  readonly raw?: boolean;
  /** A flow's task output instead of services' (`--flow`, with `--run`, `--task`). */
  readonly flow?: string;
  readonly run?: string;
  readonly task?: string;
}

/** The flow part of a query: `--flow F [--run ID] [--task T]`. */
function flowQuery(services: readonly string[], options: LogsOptions): LogQuery {
  if (options.flow === undefined) {
    if (options.run !== undefined || options.task !== undefined) {
      throw new UsageError("--run and --task go with --flow FLOW");
    }
    return {};
  }
  if (services.length > 0) {
    throw new UsageError(`--flow ${options.flow}: name no service with it (${services[0]})`);
  }
  if (options.run !== undefined && !/^[1-9]\d{0,15}$/.test(options.run)) {
    throw new UsageError(`--run: "${options.run}" is not a run id`);
  }
  return {
    services: [options.flow],
    ...(options.run !== undefined ? { run: Number(options.run) } : {}),
    ...(options.task !== undefined ? { task: options.task } : {}),
  };
}

/** `orch logs [SERVICE...]`. */
export async function logsCommand(
  io: CliIO,
  services: readonly string[],
  options: LogsOptions,
): Promise<number> {
  if (options.level && !(LEVELS as readonly string[]).includes(options.level)) {
    throw new UsageError(`--level: "${options.level}" is not one of ${LEVELS.join(", ")}`);
  }
  const tail = options.tail === undefined ? undefined : Number(options.tail);
  if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) {
    throw new UsageError(`--tail: "${options.tail}" is not a whole number`);
  }
  const flow = flowQuery(services, options);
  if (!hostSetting(options.host, io.env, options.host ? undefined : await settingsFile(io))) {
    const project = logsProject(io, options);
    if (!await findRunning(project)) return await persistedLogs(io, project, services, options);
  }
  const query: LogQuery = {
    ...(services.length ? { services } : {}),
    ...(options.level ? { minLevel: options.level as Level } : {}),
    ...flow,
  };
  return withClient(io, options, async (client) => {
    const all = await client.services();
    const print = printerFor(io, options, [...all.map((s) => s.name), ...(query.services ?? [])]);
    const replicas = new Map(all.map((s) => [s.name, s.replicas]));
    using interrupt = interruptible(io);
    // `since` as written: the orch that keeps the logs reads it by its own clock.
    const logs = await client.logs(query, { tail, follow: options.follow, since: options.since });
    using _ = closing(logs, interrupt.signal);
    for await (const batch of logs.batches()) {
      let text = "";
      for (const record of batch) {
        text += print.record(record, (replicas.get(record.service) ?? 1) > 1);
      }
      io.out(text);
    }
    return 0;
  });
}

/**
 * The project whose logs are asked for: `--file`'s directory, else the nearest directory upward
 * with a running orch's run file, else the nearest with a persisted log, else the one stack
 * running below.
 */
function logsProject(io: CliIO, options: ClientOptions): string {
  const file = options.file?.[0];
  if (file) return dirOf(file.startsWith("/") ? file : `${io.cwd.replace(/\/$/, "")}/${file}`);
  return findProject(io.cwd) ?? findProject(io.cwd, "logs/orch.ndjson") ?? projectOf(io, {});
}

function printerFor(io: CliIO, options: LogsOptions, services: readonly string[]): LinePrinter {
  const style = styleOf(io, !options.json);
  return new LinePrinter(services, style, {
    json: options.json,
    clean: terminalCleaner({ terminal: io.isTerminal, raw: options.raw, colors: style.enabled }),
  });
}

/** The services of the project's stack file and their replicas, when it still loads. */
async function stackServices(
  io: CliIO,
  project: string,
  options: ClientOptions,
): Promise<Map<string, number> | undefined> {
  try {
    const { loadStack } = await import("../config/mod.ts");
    const files = options.file?.length ? options.file : [];
    const { stack } = await loadStack(files, { cwd: files.length ? io.cwd : project, env: io.env });
    return new Map(Object.values(stack.services).map((s) => [s.name, s.replicas]));
  } catch {
    return undefined;
  }
}

/** `orch logs` with no orch running: the persisted log, streamed. */
async function persistedLogs(
  io: CliIO,
  project: string,
  services: readonly string[],
  options: LogsOptions,
): Promise<number> {
  const query: LogQuery = {
    ...(services.length ? { services } : {}),
    ...(options.level ? { minLevel: options.level as Level } : {}),
    ...(options.since ? { since: since(options.since) } : {}),
    ...flowQuery(services, options),
  };
  const path = `${stateDir(project)}/logs/orch.ndjson`;
  if (options.follow) {
    throw new OrchError(
      `no orch is running for ${project}: nothing to follow (orch logs without -f prints what ` +
        `${path} holds; orch up -d starts the stack)`,
    );
  }
  const { persistedFiles, readPersisted } = await import("../log/mod.ts");
  const files = await persistedFiles(path);
  if (files.length === 0) {
    throw new OrchError(`no orch is running for ${project}, and it has no logs (${path})`);
  }
  const known = await stackServices(io, project, options);
  const unknown = known && options.flow === undefined && services.find((s) => !known.has(s));
  if (unknown) {
    const hint = didYouMean(unknown, known.keys());
    throw new NotFoundError(`no service named "${unknown}"${hint ? ` (${hint})` : ""}`);
  }
  io.err(`orch: no orch is running for ${project}; these are the logs it kept (${path})\n`);
  const print = printerFor(io, options, known ? [...known.keys()] : services);
  const multi = (record: LogRecord) => (known?.get(record.service) ?? 1) > 1 || record.replica > 0;
  const tail = options.tail === undefined ? undefined : Number(options.tail);
  const batches = readPersisted(files, query, tail);
  try {
    for await (const batch of batches) {
      let text = "";
      for (const record of batch) text += print.record(record, multi(record));
      io.out(text);
    }
  } finally {
    batches.close();
  }
  return 0;
}

function since(value: string): number {
  const at = parseTimeAgo(value, Date.now());
  if (at === undefined) {
    throw new UsageError(`--since: "${value}" is neither a duration (10m) nor a time (ISO 8601)`);
  }
  return at;
}
