/**
 * The control interface in this process: over the service engine, the log store, the event feed
 * and the stack loader that the composition root hands in (see `ports.ts`). `orch up` serves it
 * on its API and gives it to its TUI; the scheduler of flows joins it next.
 *
 * @module
 */
import { didYouMean, EXEC_FLOW, noSuchService } from "../domain/mod.ts";
import type { Control, RunInfo, ServiceInfo } from "./control.ts";
import type { FlowControl } from "./flows.ts";
import { noFlows } from "./flows_local.ts";
import { pastThenLive, sinceOf } from "./logs.ts";
import type { EventFeed, LogStore, ServiceEngine, StackLoader } from "./ports.ts";
import { serviceStatus, statusSnapshot } from "./snapshot.ts";

/** The run the control speaks for: what `info()` says besides the engine's state. */
export interface RunFacts {
  readonly version: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly project: string;
  /** The stack files the run was started with; an apply replaces them. */
  readonly files: readonly string[];
}

/** What the in-process control drives. */
export interface LocalParts {
  readonly engine: ServiceEngine;
  readonly logs: LogStore;
  readonly events: EventFeed;
  readonly load: StackLoader;
  readonly run: RunFacts;
  /** Starts the ordered shutdown (with the caller's narration). */
  readonly shutdown: (timeoutMs?: number) => void;
  readonly now?: () => number;
  /** The flows (`localFlows`); absent when the stack has none. */
  readonly flows?: FlowControl;
  /** The flows' names: their tasks' output is logged under them, as a service's is. */
  readonly flowNames?: () => readonly string[];
}

/**
 * The control of the stack this process runs, as a plain object of functions (a caller may wrap
 * one of them: `{ ...control, status }`).
 */
export function localControl(parts: LocalParts): Control {
  const { engine, logs, run } = parts;
  const now = parts.now ?? Date.now;
  let files = run.files;
  const info = (): RunInfo => {
    const persistence = logs.persistence();
    return {
      stack: engine.stack.name,
      version: run.version,
      pid: run.pid,
      startedAt: run.startedAt,
      phase: engine.stopping ? "stopping" : "running",
      project: run.project,
      files,
      ...(persistence ? { logs: persistence } : {}),
    };
  };
  /** Throws a 404 for the first name that is not a service of the stack. */
  const known = (names: readonly string[]): void => {
    const services = engine.stack.services;
    const name = names.find((n) => !Object.hasOwn(services, n));
    if (name !== undefined) throw noSuchService(name, didYouMean(name, Object.keys(services)));
  };
  /** `fn`'s result, or its error, as a promise. */
  const later = <T>(fn: () => T): Promise<T> => Promise.resolve().then(fn);
  return {
    where: "this orch",
    flows: parts.flows ?? noFlows(),
    info: () => later(info),
    status: (options = {}) =>
      later(() => statusSnapshot(info(), engine.status({ usage: options.usage ?? true }), now())),
    services: () =>
      later((): ServiceInfo[] =>
        Object.values(engine.stack.services).map((s) => ({
          name: s.name,
          kind: s.kind,
          runtime: s.runtime,
          replicas: s.replicas,
          enabled: s.enabled,
          dependsOn: s.dependsOn.map((d) => d.target),
          dependencies: s.dependsOn.map((d) => ({ target: d.target, condition: d.require })),
        }))
      ),
    service: (name) =>
      later(() => {
        known([name]);
        return serviceStatus(name, engine.status({ usage: true }));
      }),
    start: (service) => later(() => engine.startService(service)),
    stop: async (service) => {
      engine.stopService(service);
      await engine.settledService(service);
    },
    restart: (service) => engine.restart(service),
    scale: (service, replicas) => engine.scale(service, replicas),
    send: (service, text) => engine.send(service, text),
    plan: async (source) => engine.plan((await parts.load(source, files)).stack),
    apply: async (source) => {
      const loaded = await parts.load(source, files);
      const outcome = await engine.apply(loaded.stack);
      files = loaded.files;
      return outcome;
    },
    logs: (query, options = {}) =>
      later(() => {
        // A flow run's output is kept under the flow's name, which is no service.
        const flowNames = [...parts.flowNames?.() ?? [], EXEC_FLOW];
        if (query.run === undefined && query.task === undefined) {
          known((query.services ?? []).filter((s) => !flowNames.includes(s)));
        }
        const since = options.since === undefined ? {} : { since: sinceOf(options.since, now()) };
        return pastThenLive(logs, { ...query, ...since }, options);
      }),
    events: () => later(() => parts.events.subscribe()),
    shutdown: (options = {}) => later(() => parts.shutdown(options.timeoutMs)),
    close: () => {},
  };
}
