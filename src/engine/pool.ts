/**
 * The engine's instances as the change logic (`changes.ts`) works on them: added and wanted up,
 * retired once gone, restarted, and awaited until ready. The engine keeps its loop; this keeps the
 * bookkeeping of instances coming and going.
 *
 * @module
 */
import type { EngineEvent, Stack } from "../domain/mod.ts";
import { awaitReady } from "./await_ready.ts";
import { type Pool, readyBudgetMs } from "./changes.ts";
import { type Instance, type InstanceTable, newInstance } from "./instances.ts";
import type { Clock } from "./ports.ts";
import type { SupervisorEvent } from "./supervisor.ts";

/** What the pool needs of the engine. */
export interface PoolContext {
  readonly table: InstanceTable;
  readonly clock: Clock;
  emit(event: EngineEvent): void;
  stack(): Stack;
  /** Takes a new definition of the stack (waiting instances are gated on it from now on). */
  setStack(stack: Stack): void;
  /** Whether a shutdown has begun. */
  stopping(): boolean;
  /** Whether the engine was started (an instance added before is wanted up by the start). */
  started(): boolean;
  dispatch(instance: Instance, event: SupervisorEvent): void;
  /** Resolves once the instance has no process. */
  settled(instance: Instance): Promise<void>;
  /** An instance came or went: the mesh's routes and the gating are brought up to date. */
  gone(service: string): void;
  /** Subscribes to every change of any instance; returns the unsubscribe. */
  onChange(listener: () => void): () => void;
}

/** The engine's instances behind the change logic's {@link Pool}. */
export function enginePool(ctx: PoolContext): Pool<Instance> {
  const { table, clock } = ctx;
  return {
    stack: () => ctx.stack(),
    setStack: (next) => ctx.setStack(next),
    stopping: () => ctx.stopping(),
    has: (name) => table.has(name),
    instancesOf: (name) => [...table.of(name)],
    specOf: (i) => i.service,
    replicaOf: (i) => i.replica,
    setSpec: (i, spec) => void (i.service = spec),
    add(spec, replica = table.lowestFreeReplica(spec.name)) {
      const instance = newInstance(spec, replica, clock.now());
      table.add(instance);
      if (ctx.started()) ctx.dispatch(instance, { type: "up" });
      return instance;
    },
    async retire(instance) {
      ctx.dispatch(instance, { type: "down" });
      await ctx.settled(instance);
      instance.cancelBackoff?.();
      table.remove(instance);
      ctx.gone(instance.service.name);
    },
    restart: (instance) => ctx.dispatch(instance, { type: "restart" }),
    awaitReady(instances, budget = Math.max(...instances.map((i) => readyBudgetMs(i.service)))) {
      const views = instances.map((i) => ({
        model: () => i.model,
        id: () => table.idOf(i),
        health: () => i.health?.describe() ?? "",
      }));
      return awaitReady(views, budget, { clock, onChange: (l) => ctx.onChange(l) });
    },
    forget: (name) => table.forget(name),
    ensure: (name) => table.ensure(name),
    emit: (event) => ctx.emit(event),
    now: () => clock.now(),
  };
}
