/**
 * The engine's loop: one supervisor per instance, each event run through the supervisor's table and
 * the effects it asks for performed (`effects.ts`), waiting instances gated on their dependencies
 * (`gating.ts`), changes to a running stack (`changes.ts`), and the ordered shutdown
 * (`shutdown.ts`). It sees runtimes, probes and logs only through its ports.
 *
 * @module
 */
import {
  describeBlocked,
  type InstanceStatus,
  isAlive,
  noSuchService,
  notRunning,
  type Plan,
  serviceNamed,
  shuttingDown,
  type Stack,
} from "../domain/mod.ts";
import { type ApplyResult, Changes } from "./changes.ts";
import { Effects } from "./effects.ts";
import { gate } from "./gating.ts";
import { followersOf } from "./dependencies.ts";
import { hasProcess, type Instance, InstanceTable } from "./instances.ts";
import { enginePool } from "./pool.ts";
import { Mesh } from "./mesh.ts";
import { type Outcome, outcomeOf, runOver } from "./outcome.ts";
import type { EngineDeps } from "./ports.ts";
import { shutDown } from "./shutdown.ts";
import { sendLine } from "./stdin.ts";
import { awaitSettled } from "./await_ready.ts";
import { contextOf, type SupervisorEvent, transition } from "./supervisor.ts";

export type { ApplyResult, EngineDeps, InstanceStatus, Outcome };

/** Runs one stack. */
export class Engine {
  #stack: Stack;
  readonly #deps: EngineDeps;
  readonly #table = new InstanceTable();
  readonly #random: () => number;
  #reevaluateScheduled = false;
  #cancelReevalTimer: (() => void) | undefined;
  #shuttingDown: Promise<void> | undefined;
  #failure: string | undefined;
  #idleWaiters: ((o: Outcome) => void)[] = [];
  #started = false;

  readonly #changes: Changes<Instance>;
  readonly #mesh: Mesh;
  readonly #effects: Effects;
  readonly #stopped = Promise.withResolvers<void>();
  readonly #changeListeners = new Set<() => void>();

  constructor(stack: Stack, deps: EngineDeps) {
    this.#stack = stack;
    this.#deps = deps;
    this.#random = deps.random ?? Math.random;
    this.#mesh = new Mesh(deps.router, (name, msg) => deps.logs.note(name, 0, msg, "error"));
    this.#effects = new Effects({
      deps,
      mesh: this.#mesh,
      dispatch: (instance, event) => this.#dispatch(instance, event),
      idOf: (instance) => this.#table.idOf(instance),
      stackName: () => this.#stack.name,
    });
    this.#changes = new Changes(enginePool({
      table: this.#table,
      clock: deps.clock,
      emit: deps.emit,
      stack: () => this.#stack,
      setStack: (next) => {
        this.#stack = next;
        this.#scheduleReevaluate();
      },
      stopping: () => this.#shuttingDown !== undefined,
      started: () => this.#started,
      dispatch: (instance, event) => this.#dispatch(instance, event),
      settled: (instance) => this.#settled(instance),
      gone: (name) => {
        this.#route(name);
        this.#scheduleReevaluate();
      },
      onChange: (listener) => this.#onChange(listener),
    }));
    this.#table.populate(stack, deps.clock.now());
  }

  /** The stack as last applied. */
  get stack(): Stack {
    return this.#stack;
  }

  /** Wants every enabled service up. */
  start(): void {
    this.#started = true;
    this.#deps.emit({ type: "stack", ts: this.#deps.clock.now(), phase: "starting", message: "" });
    for (const name of this.#table.names()) this.#route(name);
    for (const instance of this.#table.all()) this.#dispatch(instance, { type: "up" });
    this.#scheduleReevaluate();
  }

  /** Tells the mesh a service's routes and which of its instances are ready. */
  #route(name: string): void {
    this.#mesh.update(name, serviceNamed(this.#stack, name), this.#table.meshViews(name));
  }

  /** Snapshot of every instance, in declaration order; `usage` reads resource use too. */
  status(options: { usage?: boolean } = {}): InstanceStatus[] {
    const logs = this.#deps.logs;
    return this.#table.all().map((i) =>
      this.#table.statusOf(i, { ...options, logFile: logs.logFileProblem?.(i.service.name) })
    );
  }

  #instancesOf(name: string): readonly Instance[] {
    if (!this.#table.has(name)) throw noSuchService(name);
    return this.#table.of(name);
  }

  /**
   * Restarts a service's instances: a rolling service's replicas in batches of `maxUnavailable`,
   * each ready before the next, others all at once (see {@link Changes.restart}). Resolves once the
   * new processes are ready (a oneshot: completed), or rejects with what went wrong.
   */
  restart(name: string): Promise<void> {
    return this.#changes.restart(name);
  }

  /** Wants a service up. */
  startService(name: string): void {
    if (this.#shuttingDown) throw shuttingDown();
    for (const instance of this.#instancesOf(name)) this.#dispatch(instance, { type: "up" });
  }

  /** Wants a service down (its dependents are left as they are). */
  stopService(name: string): void {
    for (const instance of this.#instancesOf(name)) this.#dispatch(instance, { type: "down" });
  }

  /** Resolves once no instance of the service has a live process. */
  async settledService(name: string): Promise<void> {
    await Promise.all(this.#instancesOf(name).map((i) => this.#settled(i)));
  }

  /** Writes a line to the stdin of a service's instances. */
  async send(name: string, text: string): Promise<number> {
    const alive = this.#instancesOf(name).filter((i) => i.handle && isAlive(i.model.state));
    if (alive.length === 0) throw notRunning(name);
    const to = alive.map((i) => ({ handle: i.handle!, stdin: i.stdin, id: this.#table.idOf(i) }));
    return await sendLine(to, text, this.#deps.clock);
  }

  /** Resolves when nothing is left to run (or a required service failed), with the outcome. */
  idle(): Promise<Outcome> {
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve);
      this.#checkIdle();
    });
  }

  // ---- the loop ----------------------------------------------------------------------------

  #dispatch(instance: Instance, event: SupervisorEvent): void {
    const svc = instance.service;
    const now = this.#deps.clock.now();
    const before = instance.model;
    const { model, effects } = transition(before, event, contextOf(svc, now, this.#random));
    instance.model = model;
    if (model.state === "waiting" && before.state !== "waiting") instance.waitingSince = now;
    if (model.state === "ready" && before.state !== "ready") {
      if (instance.readyRun !== undefined && instance.readyRun !== model.startedAt) {
        this.#restartFollowers(svc.name);
      }
      instance.readyRun = model.startedAt;
    }
    if (model.state !== before.state) {
      // Before the effects: a stopping replica gets no new connection from the mesh.
      if (model.state === "ready" || before.state === "ready") this.#route(svc.name);
      this.#deps.emit({
        type: "state",
        ts: now,
        service: svc.name,
        replica: instance.replica,
        state: model.state,
        previous: before.state,
        message: model.message,
      });
      if (model.state === "failed" && svc.required && !this.#failure) {
        this.#failure = `required service "${svc.name}" failed: ${model.message}`;
        queueMicrotask(() => this.shutdown());
      }
    }
    for (const effect of effects) this.#effects.perform(instance, effect, before.state);
    this.#scheduleReevaluate();
    for (const listener of [...this.#changeListeners]) listener();
  }

  #onChange(listener: () => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  /** Resolves once the instance has no process (and is not about to have one). */
  #settled(instance: Instance): Promise<void> {
    const busy = () =>
      instance.handle !== undefined || isAlive(instance.model.state) ||
      instance.model.state === "starting";
    return awaitSettled({ busy }, (listener) => this.#onChange(listener));
  }

  // ---- changing a running stack -----------------------------------------------------------------

  /** Restarts the running dependents that declared `restart: true` on `name`. */
  #restartFollowers(name: string): void {
    if (this.#shuttingDown) return;
    for (const follower of followersOf(this.#stack, name).flatMap((f) => this.#table.of(f))) {
      if (follower.model.want === "up" && isAlive(follower.model.state)) {
        this.#dispatch(follower, { type: "restart" });
      }
    }
  }

  /** Changes the number of replicas of a service. */
  scale(name: string, replicas: number): Promise<void> {
    return this.#changes.scale(name, replicas);
  }

  /** What applying `next` would do. */
  plan(next: Stack): Plan {
    return this.#changes.plan(next);
  }

  /**
   * Applies a new definition of the stack: removes, adds, rescales, and replaces changed services
   * (rolling or recreate, dependencies first). Unchanged services are not touched.
   */
  apply(next: Stack): Promise<ApplyResult> {
    return this.#changes.apply(next);
  }

  // ---- dependencies ---------------------------------------------------------------------------

  #scheduleReevaluate(): void {
    if (this.#reevaluateScheduled) return;
    this.#reevaluateScheduled = true;
    queueMicrotask(() => {
      this.#reevaluateScheduled = false;
      this.#reevaluate();
    });
  }

  /** Moves waiting instances whose dependencies are met; arms a timer for the next deadline. */
  #reevaluate(): void {
    const now = this.#deps.clock.now();
    const snapshot = this.#table.gateSnapshot(() => this.#stack);
    let nextCheck = Infinity;
    for (const instance of this.#table.all()) {
      if (instance.model.state !== "waiting" || instance.model.want !== "up") continue;
      if (this.#shuttingDown) continue;
      const { dependsOn } = instance.service;
      const { verdict, retryAt } = gate(dependsOn, instance.waitingSince, snapshot, now);
      nextCheck = Math.min(nextCheck, retryAt);
      if (verdict.kind === "met") this.#dispatch(instance, { type: "depsMet" });
      else if (verdict.kind === "timedOut") {
        this.#dispatch(instance, { type: "depsTimedOut", reason: verdict.reason });
      } else if (describeBlocked(verdict.reason) !== instance.model.message) {
        this.#dispatch(instance, { type: "depsBlocked", reason: verdict.reason });
      }
    }
    this.#cancelReevalTimer?.();
    this.#cancelReevalTimer = undefined;
    if (nextCheck !== Infinity) {
      this.#cancelReevalTimer = this.#deps.clock.setTimer(Math.max(1, nextCheck - now), () => {
        this.#cancelReevalTimer = undefined;
        this.#scheduleReevaluate();
      });
    }
    this.#checkIdle();
  }

  // ---- settling and shutdown ------------------------------------------------------------------

  #checkIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.#started) return;
    if (this.#failure && !this.#shuttingDown) return;
    if (this.#shuttingDown) {
      if (this.#table.all().some(hasProcess)) return;
    } else if (this.#reevaluateScheduled) return;
    else if (!runOver(this.#table.outcomeViews(), this.#table.gateSnapshot(() => this.#stack))) {
      return;
    }
    const outcome = outcomeOf(this.#failure, this.#table.outcomeViews());
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve(outcome);
  }

  /**
   * Stops the stack in reverse dependency order: dependents first, in parallel within a level, each
   * with its own stop timeout, the whole under the stack's shutdown timeout.
   */
  shutdown(options: { onWait?: (what: string) => void; timeoutMs?: number } = {}): Promise<void> {
    if (!this.#shuttingDown) {
      this.#shuttingDown = Promise.resolve();
      this.#shuttingDown = this.#shutdown(options);
    }
    return this.#shuttingDown;
  }

  async #shutdown(
    options: { onWait?: (what: string) => void; timeoutMs?: number },
  ): Promise<void> {
    const { clock, emit } = this.#deps;
    const effects = this.#effects;
    await shutDown<Instance>({
      stack: this.#stack,
      timeoutMs: options.timeoutMs ?? this.#stack.shutdownTimeoutMs,
      clock,
      say: options.onWait,
      kill: () => this.kill(),
      phase: (phase) => {
        if (phase === "stopped") this.#cancelReevalTimer?.();
        emit({ type: "stack", ts: clock.now(), phase, message: this.#failure ?? "" });
      },
      instancesOf: (name) => this.#table.of(name),
      down: (i) => this.#dispatch(i, { type: "down" }),
      alive: hasProcess,
      settled: (i) => this.#settled(i),
      postScripts: (list) => effects.hooks.settled(list.map((i) => i.key)),
      view: (i) => effects.stoppingView(i),
      release: async () => {
        await effects.hooks.settled();
        effects.restarts.close();
        await this.#mesh.close();
      },
    });
    this.#checkIdle();
    this.#stopped.resolve();
  }

  /** Kills every instance at once (a second Ctrl-C, or the shutdown timeout). */
  kill(): void {
    this.#effects.killAll();
    for (const instance of this.#table.all()) {
      this.#dispatch(instance, { type: "down" });
      instance.handle?.kill();
    }
  }

  /** Resolves once a shutdown, whoever asked for it, has finished. */
  get stopped(): Promise<void> {
    return this.#stopped.promise;
  }

  /** Whether a shutdown has begun. */
  get stopping(): boolean {
    return this.#shuttingDown !== undefined;
  }

  /** The failure that ended the run, if one did. */
  get failure(): string | undefined {
    return this.#failure;
  }
}
