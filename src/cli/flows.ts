/**
 * Putting the scheduler of flows together from its real parts: the SQLite history (`.orch/history.db`
 * or `--db`), the log hub and per-attempt log files, the runtimes the services use, per-attempt
 * workspaces, and the service engine seen as a {@link ServiceView}.
 *
 * @module
 */
import type { FlowEvent, FlowSet } from "../domain/flow.ts";
import type { EngineEvent, InstanceState } from "../domain/state.ts";
import { summarize } from "../domain/status.ts";
import type { Engine } from "../engine/engine.ts";
import { type Clock, type Runtime, systemClock } from "../engine/ports.ts";
import { FlowLogs } from "../log/flow_logs.ts";
import type { LogHub } from "../log/hub.ts";
import { TaskWorkspace } from "../runtime/process/workspace.ts";
import { Scheduler } from "../schedule/scheduler.ts";
import type { ServiceChange, ServiceState, ServiceView } from "../schedule/ports.ts";
import { SqliteHistory } from "../store/sqlite.ts";

/** The stack's services as the scheduler sees them, fed with the engine's events. */
export class EngineServices implements ServiceView {
  readonly #engine: Engine;
  readonly #listeners = new Set<(change: ServiceChange) => void>();
  readonly #last = new Map<string, InstanceState>();

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  state(service: string): ServiceState | undefined {
    const instances = this.#engine.status().filter((i) => i.service === service);
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
}

/** A scheduler with its parts; `close` after `scheduler.stop()`. */
export interface AssembledFlows {
  readonly scheduler: Scheduler;
  readonly store: SqliteHistory;
  close(): void;
}

/** The history database a project uses. */
export function historyPath(flows: FlowSet, stateDir: string, db?: string): string {
  return db ?? flows.db ?? `${stateDir}/history.db`;
}

/** Builds the scheduler of `flows` (not started). */
export function assembleFlows(flows: FlowSet, options: FlowsOptions): AssembledFlows {
  const store = new SqliteHistory(historyPath(flows, options.stateDir, options.db));
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
  });
  return { scheduler, store, close: () => store.close() };
}
