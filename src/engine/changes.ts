/**
 * Changing a running stack: scaling, applying a new definition, and replacing a service's
 * replicas (rolling within `maxUnavailable`/`maxSurge`, each new replica gated on readiness, rolled
 * back when one is not ready; or recreate). It works on the engine's instances through a narrow
 * pool, so that the engine keeps its loop and this keeps the algorithm.
 *
 * @module
 */
import {
  ConflictError,
  type EngineEvent,
  noSuchService,
  type Plan,
  plan as computePlan,
  type RolloutPhase,
  type Service,
  serviceNamed,
  shuttingDown,
  type Stack,
  topologicalLevels,
  UsageError,
  withService,
} from "../domain/mod.ts";
import { publishedPorts } from "./mesh.ts";

/** What the change logic needs of the engine's instances. */
export interface Pool<I> {
  stack(): Stack;
  setStack(stack: Stack): void;
  /** Whether a shutdown has begun. */
  stopping(): boolean;
  /** Whether the service has a slot (it is in the stack, enabled or not). */
  has(name: string): boolean;
  /** The service's instances now (a copy). */
  instancesOf(name: string): I[];
  /** The definition an instance runs, and its replica index. */
  specOf(instance: I): Service;
  replicaOf(instance: I): number;
  /** Makes an instance run `spec` from now on (for changes that need no restart). */
  setSpec(instance: I, spec: Service): void;
  /** Adds an instance of `spec` (on `replica`, or the lowest free index) and wants it up. */
  add(spec: Service, replica?: number): I;
  /** Stops an instance and forgets it once it is gone. */
  retire(instance: I): Promise<void>;
  /** Restarts an instance (its supervisor's `restart`). */
  restart(instance: I): void;
  /**
   * Undefined once every instance is ready, else what went wrong; within `budgetMs` (by default
   * the longest {@link readyBudgetMs} of theirs).
   */
  awaitReady(instances: readonly I[], budgetMs?: number): Promise<string | undefined>;
  /** Drops a removed service's (empty) slot, or makes one for a new service. */
  forget(name: string): void;
  ensure(name: string): void;
  emit(event: EngineEvent): void;
  now(): number;
}

/** The outcome of an apply, per service that it touched. */
export interface ApplyResult {
  readonly plan: Plan;
  /** Services whose change failed, with the reason (a failed rollout was rolled back). */
  readonly failed: Readonly<Record<string, string>>;
}

/** Defines `table[key]`: assigning would make a service named `__proto__` the prototype. */
function setOwn(table: Record<string, string>, key: string, value: string): void {
  Object.defineProperty(table, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** How long a new replica may take to become ready before a rollout gives up on it. */
export function readyBudgetMs(service: Service): number {
  const h = service.health;
  if (!h) return 30_000;
  const rounds = h.successThreshold + h.failureThreshold;
  return h.gracePeriodMs + rounds * (h.intervalMs + h.timeoutMs) + 5_000;
}

/**
 * Runs `step` on `items` in batches of `size` (at least one): each batch once the one before it
 * succeeded; stops at the first that fails, with why. `end` is the count of items up to the batch's
 * end. Rollouts and restarts go batch by batch through here.
 */
async function inBatches<I>(
  items: readonly I[],
  size: number,
  step: (batch: readonly I[], end: number) => Promise<string | undefined>,
): Promise<string | undefined> {
  const n = Math.max(1, size);
  for (let i = 0; i < items.length; i += n) {
    const end = Math.min(i + n, items.length);
    const error = await step(items.slice(i, end), end);
    if (error) return error;
  }
  return undefined;
}

/** Scale, apply, restarts and rollouts over a pool; one scale or apply at a time. */
export class Changes<I> {
  readonly #pool: Pool<I>;
  #changing: string | undefined;

  constructor(pool: Pool<I>) {
    this.#pool = pool;
  }

  #begin(what: string): void {
    if (this.#pool.stopping()) throw shuttingDown();
    if (this.#changing) throw new ConflictError(`${this.#changing} is in progress`);
    this.#changing = what;
  }

  /** Keeps `count` instances of `spec`'s service: adds the missing, retires the highest indexes. */
  async #resize(spec: Service, count: number): Promise<void> {
    const pool = this.#pool;
    const list = pool.instancesOf(spec.name);
    const extra = [...list].sort((a, b) => pool.replicaOf(b) - pool.replicaOf(a))
      .slice(0, Math.max(0, list.length - count));
    for (let n = list.length; n < count; n++) pool.add(spec);
    await Promise.all(extra.map((i) => pool.retire(i)));
  }

  /**
   * Restarts a service's instances. Replicas of a rolling service restart in batches of
   * `maxUnavailable` (at least one), each batch ready before the next; others all at once. The
   * promise resolves once the old processes are gone and the new ones are ready (a oneshot:
   * completed), or rejects with what went wrong. It runs beside a scale or an apply.
   */
  async restart(name: string): Promise<void> {
    const pool = this.#pool;
    if (pool.stopping()) throw shuttingDown();
    if (!pool.has(name)) throw noSuchService(name);
    const list = pool.instancesOf(name);
    const svc = serviceNamed(pool.stack(), name);
    const rolling = list.length > 1 && svc?.update.strategy === "rolling";
    const error = await inBatches(
      list,
      rolling ? svc.update.maxUnavailable : list.length,
      (batch) => {
        for (const instance of batch) pool.restart(instance);
        // A oneshot may run as long as it needs; the rest get their stop timeout on top.
        const specs = batch.map((i) => pool.specOf(i));
        const budget = specs.every((s) => s.kind === "oneshot")
          ? Infinity
          : Math.max(...specs.map((s) => readyBudgetMs(s) + s.stop.timeoutMs));
        return pool.awaitReady(batch, budget);
      },
    );
    if (error) throw new ConflictError(`restart of ${name} failed: ${error}`);
  }

  /** Changes the number of replicas of a service. */
  async scale(name: string, replicas: number): Promise<void> {
    const pool = this.#pool;
    const svc = serviceNamed(pool.stack(), name);
    if (!svc) throw noSuchService(name);
    if (!Number.isInteger(replicas) || replicas < 0 || replicas > 1000) {
      throw new UsageError(`replicas must be a whole number from 0 to 1000, not ${replicas}`);
    }
    if (svc.kind === "oneshot" && replicas > 1) {
      throw new UsageError(`"${name}" is a oneshot; it runs once`);
    }
    this.#begin(`a change to ${name}`);
    try {
      const spec: Service = { ...svc, replicas };
      const stack = pool.stack();
      pool.setStack({ ...stack, services: withService(stack.services, name, spec) });
      for (const i of pool.instancesOf(name)) pool.setSpec(i, { ...pool.specOf(i), replicas });
      if (svc.enabled) {
        await this.#resize(spec, replicas);
        await this.#reroute(svc, spec);
      }
    } finally {
      this.#changing = undefined;
    }
  }

  /** What applying `next` would do. */
  plan(next: Stack): Plan {
    return computePlan(this.#pool.stack(), next);
  }

  /**
   * Applies a new definition of the stack: removes, adds, rescales, and replaces changed services
   * (rolling or recreate, dependencies first). Unchanged services are not touched.
   */
  async apply(next: Stack): Promise<ApplyResult> {
    const pool = this.#pool;
    const plan = this.plan(next);
    this.#begin("an apply");
    const failed: Record<string, string> = {};
    try {
      const current = pool.stack();
      pool.setStack(next);
      for (const name of plan.removed) {
        await Promise.all(pool.instancesOf(name).map((i) => pool.retire(i)));
        pool.forget(name);
      }
      for (const name of Object.keys(next.services)) pool.ensure(name);
      for (const name of plan.added) {
        const spec = next.services[name];
        for (let r = 0; r < spec.replicas; r++) pool.add(spec, r);
      }
      for (const { service, to } of plan.scaled) {
        for (const i of pool.instancesOf(service)) pool.setSpec(i, next.services[service]);
        await this.#resize(next.services[service], to);
        const error = await this.#reroute(current.services[service], next.services[service]);
        if (error) setOwn(failed, service, error);
      }
      for (const name of plan.unchanged) {
        for (const i of pool.instancesOf(name)) pool.setSpec(i, next.services[name]);
      }
      const changed = new Set(plan.changed.map((c) => c.service));
      const edges = new Map(
        Object.values(next.services).map((s) => [s.name, s.dependsOn.map((d) => d.target)]),
      );
      for (const level of topologicalLevels(Object.keys(next.services), edges)) {
        await Promise.all(
          level.filter((n) => changed.has(n)).map(async (name) => {
            const error = await this.#rollout(next.services[name]);
            if (!error) return;
            setOwn(failed, name, error);
            // The old definition keeps serving: keep it in the stack, so that a later apply
            // still sees the change.
            const stack = pool.stack();
            pool.setStack({
              ...stack,
              services: withService(stack.services, name, current.services[name]),
            });
          }),
        );
      }
      return { plan, failed };
    } finally {
      this.#changing = undefined;
    }
  }

  /**
   * Replaces `olds` by instances of `spec`, within the service's `maxUnavailable` and `maxSurge`:
   * with a surge, new replicas start first and an old one stops once a new one is ready; without,
   * an old replica stops and its replacement takes its index. Stops at the first replacement that
   * is not ready, retiring it, and reports what went wrong and what was replaced so far.
   */
  async #replace(
    olds: readonly I[],
    spec: Service,
    say: (message: string) => void,
  ): Promise<{ error?: string; fresh: I[]; retired: number }> {
    const pool = this.#pool;
    const { maxSurge, maxUnavailable } = spec.update;
    const batch = Math.max(1, maxSurge > 0 ? maxSurge : maxUnavailable);
    const fresh: I[] = [];
    let retired = 0;
    const error = await inBatches(olds, batch, async (group, end) => {
      let started: I[];
      if (maxSurge > 0) {
        started = group.map(() => pool.add(spec));
      } else {
        await Promise.all(group.map((o) => pool.retire(o)));
        retired += group.length;
        started = group.map((o) => pool.add(spec, pool.replicaOf(o)));
      }
      const error = await pool.awaitReady(started);
      if (error) {
        await Promise.all(started.map((n) => pool.retire(n)));
        return error;
      }
      fresh.push(...started);
      if (maxSurge > 0) {
        await Promise.all(group.map((o) => pool.retire(o)));
        retired += group.length;
      }
      say(`${end}/${olds.length} replicas replaced`);
      return undefined;
    });
    return error ? { error, fresh, retired } : { fresh, retired };
  }

  /**
   * After a change of replicas that changes how the service's ports are published (one container
   * publishing 8080 itself, then two behind orch's listener on 8080), replaces the running
   * instances so that each publishes the new way.
   */
  async #reroute(before: Service, after: Service): Promise<string | undefined> {
    let same: boolean;
    try {
      same = JSON.stringify(publishedPorts(before, 0)) === JSON.stringify(publishedPorts(after, 0));
    } catch {
      return undefined; // a template without a port for replica 0: its instances fail saying so
    }
    if (same || !after.enabled || after.kind === "oneshot") return undefined;
    return await this.#rollout(after);
  }

  /** Replaces a service's running instances by `spec`; rolls back when a new one is not ready. */
  async #rollout(spec: Service): Promise<string | undefined> {
    const pool = this.#pool;
    const name = spec.name;
    const emit = (phase: RolloutPhase, message: string) =>
      pool.emit({ type: "rollout", ts: pool.now(), service: name, phase, message });
    const olds = pool.instancesOf(name);
    const previous = olds.length > 0 ? pool.specOf(olds[0]) : undefined;
    if (spec.update.strategy === "recreate" || !previous) {
      emit("started", `recreating ${olds.length} instance(s)`);
      await Promise.all(olds.map((o) => pool.retire(o)));
      for (let r = 0; r < spec.replicas; r++) pool.add(spec, r);
      emit("done", "recreated");
      return undefined;
    }
    emit(
      "started",
      `rolling update of ${olds.length} replica(s), maxUnavailable ${spec.update.maxUnavailable}, ` +
        `maxSurge ${spec.update.maxSurge}`,
    );
    const keep = olds.slice(0, Math.min(olds.length, spec.replicas));
    const drop = olds.slice(keep.length);
    const result = await this.#replace(keep, spec, (m) => emit("progress", m));
    if (result.error) {
      emit("failed", `${result.error}; rolling back`);
      // Bring back as many old replicas as were retired, then replace the new ones by old ones.
      const missing = result.retired - result.fresh.length;
      const restored = Array.from({ length: missing }, () => pool.add(previous));
      const back = await pool.awaitReady(restored);
      const undo = await this.#replace(
        result.fresh,
        previous,
        (m) => emit("progress", `rollback: ${m}`),
      );
      const problem = back ?? undo.error;
      emit("rolledBack", problem ? `rollback incomplete: ${problem}` : "old version serving again");
      return result.error;
    }
    await Promise.all(drop.map((o) => pool.retire(o)));
    for (let n = keep.length; n < spec.replicas; n++) pool.add(spec);
    emit("done", `${spec.replicas} replica(s) on the new definition`);
    return undefined;
  }
}
