/**
 * Putting the scheduler of flows together from its real parts: the SQLite history (`.orch/history.db`
 * or `--db`), the log hub and per-attempt log files, the runtimes the services use, per-attempt
 * workspaces, and the service engine seen as a {@link ServiceView}.
 *
 * @module
 */
import {
  type EngineEvent,
  type FlowEvent,
  type FlowSet,
  type InstanceState,
  type InstanceStatus,
  OrchError,
  summarize,
} from "../domain/mod.ts";
import { type Clock, type Runtime, systemClock } from "../engine/mod.ts";
import { FlowLogs, type LogHub } from "../log/mod.ts";
import { processStart, TaskWorkspace } from "../runtime/process/mod.ts";
import { DockerClient, endpointFrom, SwarmJobRunner } from "../runtime/docker/mod.ts";
import {
  type ClusterRunner,
  Scheduler,
  type ServiceChange,
  type ServiceState,
  type ServiceView,
} from "../schedule/mod.ts";
import { SqliteHistory } from "../store/mod.ts";

/** The stack's services as the scheduler sees them, fed with the engine's events. */
export class EngineServices implements ServiceView {
  readonly #status: () => readonly InstanceStatus[];
  readonly #listeners = new Set<(change: ServiceChange) => void>();
  readonly #last = new Map<string, InstanceState>();

  /** `status` reads the engine's instances (`engine.status()`). */
  constructor(status: () => readonly InstanceStatus[]) {
    this.#status = status;
  }

  state(service: string): ServiceState | undefined {
    const instances = this.#status().filter((i) => i.service === service);
    if (instances.length === 0) return undefined;
    const [summary] = summarize(instances);
    return {
      state: summary.state,
      ready: instances.some((i) => i.state === "ready" || i.state === "completed"),
    };
  }

  subscribe(listener: (change: ServiceChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Takes one engine event; a change of a service's summarized state reaches the listeners. */
  observe(event: EngineEvent): void {
    if (event.type !== "state") return;
    const now = this.state(event.service);
    if (!now) return;
    const previous = this.#last.get(event.service) ?? event.previous;
    this.#last.set(event.service, now.state);
    if (now.state === previous) return;
    const change = { service: event.service, state: now.state, previous, message: event.message };
    for (const listener of this.#listeners) listener(change);
  }
}

/** What to build the scheduler with. */
export interface FlowsOptions {
  /** The project's `.orch/`. */
  readonly stateDir: string;
  readonly stack: string;
  readonly logs: LogHub;
  readonly runtimes: Partial<Record<"process" | "docker", Runtime>>;
  readonly emit: (event: FlowEvent) => void;
  /** The history database (default: `.orch/history.db`, or the flows' own setting). */
  readonly db?: string;
  readonly maxExecutors?: number;
  readonly clock?: Clock;
  readonly services?: ServiceView;
  readonly baseEnv?: Readonly<Record<string, string>>;
  /**
   * Runs `executor: swarm` tasks; default: jobs on the engine of `scheduler.swarm.host`, else
   * `DOCKER_HOST` of `baseEnv`, else the local socket, when a task needs it.
   */
  readonly swarm?: ClusterRunner;
}

/** A scheduler with its parts; `close` after `scheduler.stop()`. */
export interface AssembledFlows {
  readonly scheduler: Scheduler;
  readonly store: SqliteHistory;
  close(): void;
}

/** Whether any task of the flows runs in a container. */
export function usesDocker(flows: FlowSet): boolean {
  return Object.values(flows.flows).some((f) =>
    Object.values(f.tasks).some((t) => t.runtime === "docker")
  );
}

/** Whether any task of the flows runs as a swarm job. */
export function usesSwarm(flows: FlowSet): boolean {
  return Object.values(flows.flows).some((f) =>
    Object.values(f.tasks).some((t) => t.executor === "swarm")
  );
}

/** `--db` as given, made absolute against `cwd`. */
export function dbPath(db: string | undefined, cwd: string): string | undefined {
  return db === undefined || db.startsWith("/") ? db : `${cwd.replace(/\/$/, "")}/${db}`;
}

/**
 * Builds the scheduler and makes this process the owner of its history database.
 *
 * @throws {OrchError} when another live orch runs a scheduler on the same database.
 */
export function openFlows(flows: FlowSet, options: FlowsOptions): AssembledFlows {
  const parts = assembleFlows(flows, options);
  const me = { pid: Deno.pid, procStart: processStart(Deno.pid), since: Date.now() };
  const other = parts.store.claim(
    me,
    (o) => o.procStart !== undefined && processStart(o.pid) === o.procStart,
  );
  if (other) {
    parts.close();
    throw new OrchError(
      `the history database ${parts.store.path} is in use by another orch (pid ${other.pid}, ` +
        `since ${new Date(other.since).toISOString()}); stop it, or give this one --db FILE`,
    );
  }
  return {
    ...parts,
    close: () => {
      parts.store.release(Deno.pid);
      parts.close();
    },
  };
}

/** The history database a project uses. */
export function historyPath(flows: FlowSet, stateDir: string, db?: string): string {
  return db ?? flows.db ?? `${stateDir}/history.db`;
}

/** Builds the scheduler of `flows` (not started). */
export function assembleFlows(flows: FlowSet, options: FlowsOptions): AssembledFlows {
  const store = new SqliteHistory(historyPath(flows, options.stateDir, options.db));
  const jobs = !options.swarm && usesSwarm(flows)
    ? new SwarmJobRunner(
      new DockerClient(endpointFrom(flows.swarmHost ?? options.baseEnv?.DOCKER_HOST)),
    )
    : undefined;
  const scheduler = new Scheduler(flows, {
    store,
    runtimes: options.runtimes,
    clock: options.clock ?? systemClock,
    logs: new FlowLogs(options.logs, `${options.stateDir}/flows/logs`),
    workspace: new TaskWorkspace(`${options.stateDir}/flows/work`),
    emit: options.emit,
    services: options.services,
    baseEnv: options.baseEnv,
    stack: options.stack,
    maxExecutors: options.maxExecutors,
    swarm: options.swarm ?? jobs,
  });
  return {
    scheduler,
    store,
    close: () => {
      jobs?.close();
      store.close();
    },
  };
}
