/**
 * The engine's instances, indexed once: by service, in declaration order, each service's replicas
 * by index. During a rollout a service's list holds old and new instances side by side.
 *
 * @module
 */
import {
  instanceId,
  type InstanceStatus,
  isAlive,
  type LogFileProblem,
  type ProbeSnapshot,
  type ResolvedInstance,
  type Service,
  serviceNamed,
  type Stack,
} from "../domain/mod.ts";
import type { GateSnapshot } from "./gating.ts";
import type { HealthMonitor } from "./health.ts";
import type { MeshInstance } from "./mesh.ts";
import type { OutcomeView } from "./outcome.ts";
import type { Handle } from "./ports.ts";
import type { StdinState } from "./stdin.ts";
import { initialModel, type InstanceModel } from "./supervisor.ts";

/** One instance as the engine tracks it. */
export interface Instance {
  /** The definition this instance runs (during a rollout, old and new ones coexist). */
  service: Service;
  readonly replica: number;
  /** Unique while the instance exists: `name#replica`. */
  readonly key: string;
  model: InstanceModel;
  /**
   * When the run that was last ready started: a new run becoming ready is a restart that
   * dependents may follow; the same run ready again after being unready is not.
   */
  readyRun: number | undefined;
  probes: Record<string, ProbeSnapshot>;
  handle: Handle | undefined;
  /** What the current (or last) run was started with. */
  spec: ResolvedInstance | undefined;
  health: HealthMonitor | undefined;
  cancelBackoff: (() => void) | undefined;
  waitingSince: number;
  pumps: Promise<void>[];
  /** What was sent to its stdin and not yet taken. */
  readonly stdin: StdinState;
}

/** A fresh instance of `service`, not yet wanted. */
export function newInstance(service: Service, replica: number, now: number): Instance {
  return {
    service,
    replica,
    key: `${service.name}#${replica}`,
    model: initialModel(now),
    readyRun: undefined,
    probes: {},
    handle: undefined,
    spec: undefined,
    health: undefined,
    cancelBackoff: undefined,
    waitingSince: 0,
    pumps: [],
    stdin: { pending: 0 },
  };
}

/** Whether the instance has a process, or is about to stop one. */
export function hasProcess(instance: Instance): boolean {
  return instance.handle !== undefined || isAlive(instance.model.state);
}

/** The stack's instances by service. */
export class InstanceTable {
  readonly #byService = new Map<string, Instance[]>();

  /** Fills the table for `stack`: a slot per service, its replicas when it is enabled. */
  populate(stack: Stack, now: number): void {
    for (const service of Object.values(stack.services)) {
      this.ensure(service.name);
      if (!service.enabled) continue;
      for (let r = 0; r < service.replicas; r++) this.add(newInstance(service, r, now));
    }
  }

  /** The services that have a slot, in order. */
  names(): string[] {
    return [...this.#byService.keys()];
  }

  /** Whether `name` has a slot (a service of the stack, enabled or not). */
  has(name: string): boolean {
    return this.#byService.has(name);
  }

  /** The instances of `name` now (empty for a service without a slot). Do not change the list. */
  of(name: string): readonly Instance[] {
    return this.#byService.get(name) ?? [];
  }

  /** Every instance, service by service. A copy: safe to iterate while instances come and go. */
  all(): Instance[] {
    return [...this.#byService.values()].flat();
  }

  /** Makes an (empty) slot for a service, at the end, unless it has one. */
  ensure(name: string): void {
    if (!this.#byService.has(name)) this.#byService.set(name, []);
  }

  /** Drops a service's slot (a removed service, its instances retired). */
  forget(name: string): void {
    this.#byService.delete(name);
  }

  /** Adds an instance to its service's slot, in replica order. */
  add(instance: Instance): void {
    const name = instance.service.name;
    const list = this.#byService.get(name) ?? [];
    list.push(instance);
    list.sort((a, b) => a.replica - b.replica);
    this.#byService.set(name, list);
  }

  /** Removes an instance (it is gone). */
  remove(instance: Instance): void {
    const list = this.#byService.get(instance.service.name);
    const at = list?.indexOf(instance) ?? -1;
    if (at >= 0) list!.splice(at, 1);
  }

  /** The lowest replica index no instance of `name` has. */
  lowestFreeReplica(name: string): number {
    const used = new Set(this.of(name).map((i) => i.replica));
    let r = 0;
    while (used.has(r)) r++;
    return r;
  }

  /** `api` for a service with one instance, `api.2` for a replica. */
  idOf(instance: Instance): string {
    const name = instance.service.name;
    const many = instance.service.replicas > 1 || this.of(name).length > 1;
    return instanceId(name, instance.replica, many);
  }

  /** The stack's instances as gating reads them (live: each read sees the instances now). */
  gateSnapshot(stack: () => Stack): GateSnapshot {
    return {
      instancesOf: (name) =>
        this.of(name).map((i) => ({
          model: i.model,
          dependsOn: i.service.dependsOn,
          ...(i.health ? { describeHealth: () => i.health!.describe() } : {}),
        })),
      waitAfterMs: (name) => serviceNamed(stack(), name)?.waitAfterMs ?? 0,
    };
  }

  /** Every instance as the outcome of a run reads it. */
  outcomeViews(): OutcomeView[] {
    return this.all().map((i) => ({
      model: i.model,
      id: this.idOf(i),
      dependsOn: i.service.dependsOn,
    }));
  }

  /** A service's instances as the mesh reads them. */
  meshViews(name: string): MeshInstance[] {
    return this.of(name).map((i) => ({
      service: i.service,
      replica: i.replica,
      id: this.idOf(i),
      ready: i.model.state === "ready",
      endpoints: i.handle?.endpoints,
    }));
  }

  /**
   * The read-only view of an instance; `usage` reads its resource use too, `logFile` is what is
   * wrong with its service's log file.
   */
  statusOf(
    instance: Instance,
    options: { usage?: boolean; logFile?: LogFileProblem } = {},
  ): InstanceStatus {
    const { model, handle } = instance;
    const usage = options.usage ? handle?.usage?.() : undefined;
    return {
      service: instance.service.name,
      replica: instance.replica,
      id: this.idOf(instance),
      state: model.state,
      want: model.want,
      pid: handle?.pid,
      restarts: model.restarts,
      startedAt: model.startedAt,
      readyAt: model.readyAt,
      since: model.since,
      message: model.message,
      ...(model.blocked ? { blocked: model.blocked } : {}),
      ...(options.logFile ? { logFile: options.logFile } : {}),
      probes: { ...instance.probes },
      ...(usage ? { usage } : {}),
    };
  }
}
