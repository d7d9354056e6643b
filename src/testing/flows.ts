/**
 * Flows for tests: projects from YAML text, a scheduler on real processes and a real SQLite file,
 * and waiting for flow events under a deadline.
 *
 * @module
 */
import { loadProject, type Project } from "../config/flows/mod.ts";
import type { Flow, FlowEvent, FlowSet, RunRecord, TaskRunRecord } from "../domain/mod.ts";
import { DeadlineError } from "./deadline.ts";
import { Recorder, scratchDir } from "./recorder.ts";
import { assembleFlows } from "../cli/mod.ts";
import type { Clock } from "../engine/mod.ts";
import { LogHub } from "../log/mod.ts";
import { ProcessRuntime } from "../runtime/process/mod.ts";
import { DockerRuntime } from "../runtime/docker/mod.ts";
import type { ClusterRunner, Scheduler, ServiceView } from "../schedule/mod.ts";
import type { SqliteHistory } from "../store/mod.ts";

/** Loads a project from stack-file text written to `stack.yaml` in a new temporary directory. */
export async function projectFrom(text: string): Promise<Project> {
  const dir = await scratchDir("orch-project-");
  await Deno.writeTextFile(`${dir}/stack.yaml`, text);
  return await loadProject([`${dir}/stack.yaml`], { env: () => undefined });
}

/** The one flow of a stack-file text with `flows:` holding one flow. */
export async function flowFrom(text: string): Promise<Flow> {
  const project = await projectFrom(text);
  const flows = Object.values(project.flows.flows);
  if (flows.length !== 1) throw new Error(`expected one flow, got ${flows.length}`);
  return flows[0];
}

/** Records flow events and waits for conditions on them under a deadline. */
export class FlowRecorder extends Recorder<FlowEvent> {
  /** Run events of one run, their statuses in order. */
  runStatuses(run: number): string[] {
    return this.events.flatMap((e) => (e.type === "run" && e.run === run ? [e.status] : []));
  }
}

/** The latest attempt of each task, by task, from a run's rows. */
export function latestAttempts(rows: readonly TaskRunRecord[]): Record<string, TaskRunRecord> {
  const out: Record<string, TaskRunRecord> = {};
  for (const row of rows) {
    if (!out[row.task] || out[row.task].attempt < row.attempt) out[row.task] = row;
  }
  return out;
}

/** A scheduler on real processes and a real SQLite file in a temporary directory. */
export interface TestFlows extends AsyncDisposable {
  readonly scheduler: Scheduler;
  readonly store: SqliteHistory;
  readonly events: FlowRecorder;
  readonly logs: LogHub;
  readonly dir: string;
  readonly db: string;
  /**
   * Resolves with the run once it has ended; after `ms` (default 30s) fails naming the run and
   * how it and its tasks stand then, so that a hang says what it waited for.
   */
  ended(id: number, ms?: number): Promise<RunRecord>;
}

/** What a test may set. */
export interface TestFlowsOptions {
  readonly clock?: Clock;
  readonly maxExecutors?: number;
  readonly services?: ServiceView;
  /** The database file (default: a new one in the directory). */
  readonly db?: string;
  readonly dir?: string;
  /** Also called with every flow event. */
  readonly onEvent?: (event: FlowEvent) => void;
  /** Run `runtime: docker` tasks on the Docker engine. */
  readonly docker?: boolean;
  /** Runs `executor: swarm` tasks (default: jobs on the engine of `DOCKER_HOST`). */
  readonly swarm?: ClusterRunner;
}

/** Builds a scheduler for `flows` (not started). */
export async function testFlows(
  flows: FlowSet,
  options: TestFlowsOptions = {},
): Promise<TestFlows> {
  const dir = options.dir ?? await Deno.makeTempDir({ prefix: "orch-flows-" });
  const runtime = new ProcessRuntime({ project: dir });
  const docker = options.docker ? new DockerRuntime({ project: dir }) : undefined;
  const logs = new LogHub();
  const events = new FlowRecorder();
  logs.onRecord(() => events.poke());
  const db = options.db ?? `${dir}/.orch/history.db`;
  const parts = assembleFlows(flows, {
    stateDir: `${dir}/.orch`,
    stack: "test",
    logs,
    runtimes: { process: runtime, ...(docker ? { docker } : {}) },
    emit: (event) => {
      events.emit(event);
      options.onEvent?.(event);
    },
    db,
    maxExecutors: options.maxExecutors,
    clock: options.clock,
    services: options.services,
    swarm: options.swarm,
    baseEnv: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", TESTDIR: dir },
  });
  const ended = (id: number, ms = 30_000): Promise<RunRecord> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const run = parts.store.run(id);
        const tasks = Object.values(latestAttempts(parts.store.tasks(id)))
          .map((t) =>
            `${t.task} ${t.state}${t.waitingFor ? ` (waiting for ${t.waitingFor})` : ""}`
          );
        reject(
          new DeadlineError(
            ms,
            `run ${id}${run ? ` of ${run.flow}` : ""} to end (it is ${run?.status ?? "unknown"}; ` +
              `tasks: ${tasks.join(", ") || "none"})`,
          ),
        );
      }, ms);
    });
    return Promise.race([parts.scheduler.wait(id), late]).finally(() => clearTimeout(timer));
  };
  return {
    scheduler: parts.scheduler,
    store: parts.store,
    events,
    logs,
    dir,
    db,
    ended,
    async [Symbol.asyncDispose]() {
      await parts.scheduler.stop();
      parts.close();
      await runtime.close();
      await docker?.close();
      logs.close();
      if (!options.dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
