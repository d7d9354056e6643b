/**
 * `orch run --jobs DIR`: Petit's command line. Runs the scheduler over a directory of job files
 * (Petit's, Conducktor's or orch's flow files) until Ctrl-C, or with `--trigger JOB` runs that job
 * once and exits with its status. The history goes to `.orch/history.db` beside the directory, or
 * `--db FILE`.
 *
 * @module
 */
import { didYouMean, UsageError } from "../domain/mod.ts";
import { LogHub } from "../log/mod.ts";
import { DockerRuntime } from "../runtime/docker/mod.ts";
import { ProcessRuntime } from "../runtime/process/mod.ts";
import { EventCounters } from "../api/mod.ts";
import { EventBus } from "./bus.ts";
import { serveJobsApi } from "./jobs_api.ts";
import { maxExecutorsOf } from "./settings.ts";
import { dbPath, openFlows, usesDocker } from "./flows.ts";
import type { CliIO } from "./io.ts";
import { printMerged } from "./merged_stream.ts";
import { Narrator } from "./narrator.ts";
import { AsyncWriter, LinePrinter } from "./printer.ts";
import { ensureStateDir } from "./state.ts";
import { styleOf } from "./style.ts";

/** Options of `orch run --jobs`. */
export interface JobsOptions {
  readonly jobs: string;
  readonly db?: string;
  readonly trigger?: string;
  readonly maxExecutors?: string;
  readonly json?: boolean;
  readonly color?: boolean;
  /** Serve the control API on the project's socket (Petit's `--api`). */
  readonly api?: boolean;
  /** With `api`, also on TCP with bearer tokens. */
  readonly listen?: string;
  readonly token?: string;
}

const SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** Runs the scheduler over a jobs directory; returns the exit status. */
export async function runJobsCommand(io: CliIO, options: JobsOptions): Promise<number> {
  // First thing: as PID 1, Deno needs listeners for these three (and a signal stops the run).
  const stopped = Promise.withResolvers<Deno.Signal | "orch down">();
  const handlers = SIGNALS.map((signal) => {
    const handler = () => stopped.resolve(signal);
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  try {
    return await run(io, options, stopped.promise, () => stopped.resolve("orch down"));
  } finally {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
  }
}

async function run(
  io: CliIO,
  options: JobsOptions,
  signalled: Promise<Deno.Signal | "orch down">,
  requestStop: () => void,
) {
  if (options.listen !== undefined && !options.api) {
    throw new UsageError("--listen goes with --api (the control API on TCP)");
  }
  const project = await (await import("../config/mod.ts")).loadProject([options.jobs], {
    cwd: io.cwd,
    env: io.env,
  });
  const maxExecutors = await maxExecutorsOf(io, options.maxExecutors, project.flows.maxExecutors);
  const names = Object.keys(project.flows.flows);
  if (options.trigger !== undefined && !names.includes(options.trigger)) {
    const hint = didYouMean(options.trigger, names) ?? `jobs: ${names.join(", ") || "none"}`;
    throw new UsageError(
      `--trigger: no job named "${options.trigger}" in ${options.jobs} (${hint})`,
    );
  }
  // Private to orch's user, as under `orch up`: it holds the history and the runs' payloads.
  const dir = await ensureStateDir(project.project);
  const style = styleOf(io, options.color !== false && !options.json);
  const display = Object.values(project.flows.flows).flatMap((f) =>
    Object.keys(f.tasks).map((t) => `${f.name}/${t}`)
  );
  const printer = new LinePrinter(display, style, { json: options.json });
  const out = new AsyncWriter(io.stdout);
  const narrator = new Narrator(printer, out, () => false);
  const say = narrator.say;
  // The scheduler's events go through a bus, as in `orch up`: here only the narrator reads it.
  const bus = new EventBus();
  bus.listen(narrator.event);
  const logs = new LogHub({ ndjsonPath: `${dir}/logs/orch.ndjson` });
  const runtime = new ProcessRuntime({ project: project.project });
  const docker = usesDocker(project.flows)
    ? new DockerRuntime({ project: project.project })
    : undefined;
  const db = dbPath(options.db, io.cwd);
  const printing = printMerged(logs, printer, out, { json: options.json, multi: () => false });
  let flows;
  try {
    flows = openFlows(project.flows, {
      stateDir: dir,
      stack: project.stack.name,
      logs,
      runtimes: { process: runtime, ...(docker ? { docker } : {}) },
      emit: bus.publish,
      db,
      maxExecutors,
      baseEnv: io.environment(),
    });
  } catch (error) {
    printing.close();
    await printing.done;
    await runtime.close();
    await docker?.close();
    logs.close();
    throw error;
  }
  const { scheduler, store } = flows;
  let api: { close(): Promise<void> } | undefined;
  try {
    if (options.api) {
      const counters = new EventCounters();
      bus.listen(counters.observe);
      api = await serveJobsApi({
        project: project.project,
        stack: project.stack,
        logs,
        bus,
        counters,
        scheduler,
        store,
        flowNames: names,
        jobs: options.jobs,
        listen: options.listen,
        token: options.token,
        env: io.env,
        shutdown: requestStop,
        say,
      });
    }
    if (options.trigger !== undefined) {
      // One job, once: no schedules, no follow-ups, and runs left by an earlier orch stay as they are.
      scheduler.start({ schedules: false, recover: false, follow: false });
      const { run } = scheduler.trigger(options.trigger);
      const ended = await Promise.race([scheduler.wait(run.id), signalled]);
      if (typeof ended === "string") {
        say(`${ended}: stopping job ${options.trigger} (run ${run.id})`);
        return 130;
      }
      const why = ended.reason ? `: ${ended.reason}` : "";
      say(`job ${options.trigger} run ${run.id} ${ended.status}${why}`);
      return ended.status === "succeeded" ? 0 : 1;
    }
    scheduler.start();
    const status = scheduler.status();
    say(
      `scheduler running ${names.length} job(s) on ${status.executors.max} executor(s); ` +
        `history in ${store.path}; Ctrl-C stops`,
    );
    const signal = await signalled;
    say(`${signal}: stopping (running tasks are stopped; their runs resume at the next start)`);
    return 0;
  } finally {
    await api?.close();
    await scheduler.stop();
    flows.close();
    bus.close();
    logs.flush();
    printing.close();
    await printing.done;
    await runtime.close();
    await docker?.close();
    logs.close();
    await out.drain();
  }
}
