/**
 * The engine: one supervisor per instance, a thin loop that performs their effects, dependency gating,
 * and ordered shutdown. It sees runtimes, probes and logs only through its ports.
 *
 * @module
 */
import { topologicalLevels } from "../domain/graph.ts";
import { type Service, serviceNamed, type Stack } from "../domain/model.ts";
import {
  describeBlocked,
  type EngineEvent,
  type InstanceState,
  type InstanceStatus,
  isAlive,
  type ProbeSnapshot,
  type Usage,
} from "../domain/state.ts";
import { ConflictError, NotFoundError } from "../domain/errors.ts";
import type { Plan } from "../domain/plan.ts";
import {
  expandCommand,
  instanceEnv,
  instanceId,
  type InstanceRef,
  instanceVars,
  type ResolvedInstance,
  resolveInstance,
} from "../domain/instance.ts";
import { type ApplyResult, Changes, readyBudgetMs } from "./changes.ts";
import { gate, type GateSnapshot, isStuck } from "./gating.ts";
import { HealthMonitor } from "./health.ts";
import { awaitReady } from "./await_ready.ts";
import { probeTargets } from "./probe_targets.ts";
import { Mesh, ROUTE_DRAIN_MS } from "./mesh.ts";
import { type HookRun, Hooks } from "./hooks.ts";
import { RESTART_HELD, RestartLimiter } from "./limiter.ts";
import { narrateStop, type StoppingView } from "./shutdown.ts";
import { type StdinState, writeBounded } from "./stdin.ts";
import type { Clock, CommandRunner, Handle, LogSink, Prober, Router, Runtime } from "./ports.ts";
import {
  initialModel,
  type InstanceModel,
  type SupervisorEvent,
  transition,
} from "./supervisor.ts";

/** The engine's collaborators. */
export interface EngineDeps {
  readonly runtimes: Partial<Record<Service["runtime"], Runtime>>;
  readonly runner: CommandRunner;
  readonly prober: Prober;
  readonly clock: Clock;
  readonly logs: LogSink;
  readonly emit: (event: EngineEvent) => void;
  readonly random?: () => number;
  /** The environment instances inherit. */
  readonly baseEnv?: Readonly<Record<string, string>>;
  /**
   * Reads an env file (`envFromFile`) into variables.
   *
   * @throws when it cannot: the start fails, naming the file and why.
   */
  readonly readEnvFile?: (path: string) => Readonly<Record<string, string>>;
  /** The routing mesh: listens on published ports that orch routes (none without it). */
  readonly router?: Router;
}

/** One instance as the engine tracks it. */
interface Instance {
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

export type { ApplyResult, InstanceStatus };

/** How a finished run ended. */
export interface Outcome {
  /** 0 when everything completed or stopped cleanly. */
  readonly code: number;
  readonly summary: string;
}

function usageOf(instance: Instance, wanted: boolean | undefined): { usage?: Usage } {
  const usage = wanted ? instance.handle?.usage?.() : undefined;
  return usage ? { usage } : {};
}

const ACTIVE: ReadonlySet<InstanceState> = new Set([
  "starting",
  "running",
  "ready",
  "stopping",
  "backoff",
]);

/** After an exit, output already written is read to its end within this long (then cancelled). */
const DRAIN_GRACE_MS = 2_000;

/** Runs one stack. */
export class Engine {
  #stack: Stack;
  readonly #deps: EngineDeps;
  readonly #instances = new Map<string, Instance>();
  readonly #byService = new Map<string, Instance[]>();
  readonly #random: () => number;
  #reevaluateScheduled = false;
  #cancelReevalTimer: (() => void) | undefined;
  #shuttingDown: Promise<void> | undefined;
  #failure: string | undefined;
  #idleWaiters: ((o: Outcome) => void)[] = [];
  #started = false;

  readonly #changes: Changes<Instance>;
  readonly #hooks: Hooks;
  readonly #restarts: RestartLimiter;
  readonly #mesh: Mesh;
  readonly #drains = new Set<() => void>();
  readonly #stopped = Promise.withResolvers<void>();

  constructor(stack: Stack, deps: EngineDeps) {
    this.#stack = stack;
    this.#changes = new Changes<Instance>({
      stack: () => this.#stack,
      setStack: (next) => {
        this.#stack = next;
        this.#scheduleReevaluate();
      },
      stopping: () => this.#shuttingDown !== undefined,
      instancesOf: (name) => [...(this.#byService.get(name) ?? [])],
      specOf: (i) => i.service,
      replicaOf: (i) => i.replica,
      setSpec: (i, spec) => void (i.service = spec),
      add: (spec, replica) => this.#add(spec, replica),
      retire: (i) => this.#retire(i),
      awaitReady: (list) => this.#awaitReady(list),
      forget: (name) => void this.#byService.delete(name),
      ensure: (name) => {
        if (!this.#byService.has(name)) this.#byService.set(name, []);
      },
      emit: (event) => this.#deps.emit(event),
      now: () => this.#deps.clock.now(),
    });
    this.#deps = deps;
    this.#random = deps.random ?? Math.random;
    this.#hooks = new Hooks(deps);
    this.#restarts = new RestartLimiter(deps.clock);
    this.#mesh = new Mesh(deps.router, (name, msg) => deps.logs.note(name, 0, msg, "error"));
    for (const service of Object.values(stack.services)) {
      const list: Instance[] = [];
      if (service.enabled) {
        for (let r = 0; r < service.replicas; r++) list.push(this.#newInstance(service, r));
      }
      this.#byService.set(service.name, list);
    }
  }

  /** The stack as last applied. */
  get stack(): Stack {
    return this.#stack;
  }

  #newInstance(service: Service, replica: number): Instance {
    const key = `${service.name}#${replica}`;
    const instance: Instance = {
      service,
      replica,
      key,
      model: initialModel(this.#deps.clock.now()),
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
    this.#instances.set(key, instance);
    return instance;
  }

  /** `api` for a service with one instance, `api.2` for a replica. */
  #idOf(instance: Instance): string {
    const name = instance.service.name;
    const many = instance.service.replicas > 1 || (this.#byService.get(name)?.length ?? 0) > 1;
    return instanceId(name, instance.replica, many);
  }

  /** Wants every enabled service up. */
  start(): void {
    this.#started = true;
    this.#deps.emit({ type: "stack", ts: this.#deps.clock.now(), phase: "starting", message: "" });
    for (const name of this.#byService.keys()) this.#route(name);
    for (const instance of this.#instances.values()) this.#dispatch(instance, { type: "up" });
    this.#scheduleReevaluate();
  }

  /** Tells the mesh a service's routes and which of its instances are ready. */
  #route(name: string): void {
    this.#mesh.update(
      name,
      serviceNamed(this.#stack, name),
      (this.#byService.get(name) ?? []).map((i) => ({
        service: i.service,
        replica: i.replica,
        id: this.#idOf(i),
        ready: i.model.state === "ready",
        endpoints: i.handle?.endpoints,
      })),
    );
  }

  /** Snapshot of every instance, in declaration order; `usage` reads resource use too. */
  status(options: { usage?: boolean } = {}): InstanceStatus[] {
    return [...this.#byService.values()].flat().map((i) => ({
      service: i.service.name,
      replica: i.replica,
      id: this.#idOf(i),
      state: i.model.state,
      want: i.model.want,
      pid: i.handle?.pid,
      restarts: i.model.restarts,
      startedAt: i.model.startedAt,
      readyAt: i.model.readyAt,
      since: i.model.since,
      message: i.model.message,
      ...(i.model.blocked ? { blocked: i.model.blocked } : {}),
      probes: { ...i.probes },
      ...usageOf(i, options.usage),
    }));
  }

  #instancesOf(name: string): Instance[] {
    const list = this.#byService.get(name);
    if (!list) throw new NotFoundError(`no service named "${name}"`);
    return list;
  }

  /**
   * Restarts a service's instances. Replicas of a rolling service restart in batches of
   * `maxUnavailable` (at least one), each batch ready before the next; others all at once. The
   * promise resolves once the old processes are gone and the new ones are ready (a oneshot:
   * completed), or rejects with what went wrong.
   */
  async restart(name: string): Promise<void> {
    if (this.#shuttingDown) throw new ConflictError("the stack is shutting down");
    const list = [...this.#instancesOf(name)];
    const svc = serviceNamed(this.#stack, name);
    const rolling = list.length > 1 && svc?.update.strategy === "rolling";
    const batch = rolling ? Math.max(1, svc.update.maxUnavailable) : list.length;
    for (let i = 0; i < list.length; i += batch) {
      const group = list.slice(i, i + batch);
      for (const instance of group) this.#dispatch(instance, { type: "restart" });
      // A oneshot may run as long as it needs; the rest get their stop timeout on top.
      const budget = group.every((g) => g.service.kind === "oneshot")
        ? Infinity
        : Math.max(...group.map((g) => readyBudgetMs(g.service) + g.service.stop.timeoutMs));
      const error = await this.#awaitReady(group, budget);
      if (error) throw new ConflictError(`restart of ${name} failed: ${error}`);
    }
  }

  /** Wants a service up. */
  startService(name: string): void {
    if (this.#shuttingDown) throw new ConflictError("the stack is shutting down");
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
    if (alive.length === 0) throw new ConflictError(`"${name}" is not running`);
    const data = new TextEncoder().encode(text.endsWith("\n") ? text : `${text}\n`);
    await Promise.all(
      alive.map((i) => writeBounded(i.handle!, data, i.stdin, this.#idOf(i), this.#deps.clock)),
    );
    return alive.length;
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
    const { model, effects } = transition(before, event, {
      now,
      kind: svc.kind,
      hasProbes: svc.health !== undefined,
      restart: svc.restart,
      successCodes: svc.successCodes,
      random: this.#random,
      onFailure: svc.health?.onFailure,
    });
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
    for (const effect of effects) {
      switch (effect.type) {
        case "spawn":
          this.#spawn(instance);
          break;
        case "stop":
          if (before.state === "ready" && this.#mesh.routed(svc.name)) {
            this.#drainThenStop(instance);
          } else this.#stop(instance);
          break;
        case "startProbes":
          this.#startProbes(instance);
          break;
        case "stopProbes":
          instance.health?.stop();
          instance.health = undefined;
          break;
        case "armBackoff":
          // After the backoff, the restart waits its turn under the stack's restart cap.
          instance.cancelBackoff = this.#restarts.after(effect.ms, () => {
            instance.cancelBackoff = undefined;
            this.#dispatch(instance, { type: "backoffElapsed" });
          }, () => this.#deps.logs.note(svc.name, instance.replica, RESTART_HELD));
          break;
        case "cancelBackoff":
          instance.cancelBackoff?.();
          instance.cancelBackoff = undefined;
          break;
        case "postScript":
          if (svc.postScript) {
            this.#hooks.startPost(instance.key, this.#hook(instance, "postScript", svc.postScript));
          }
          break;
        default: {
          const never: never = effect;
          throw new Error(`unhandled effect ${JSON.stringify(never)}`);
        }
      }
    }
    this.#scheduleReevaluate();
    for (const listener of [...this.#changeListeners]) listener();
  }

  #ref(instance: Instance): InstanceRef {
    return {
      service: instance.service.name,
      replica: instance.replica,
      id: this.#idOf(instance),
      stack: this.stack.name,
    };
  }

  /**
   * The contents of the service's env files. `strict` (an instance starting): every one, or the
   * reader's error, naming the file. Otherwise (a preScript, which may be what writes them) those
   * that can be read now.
   */
  #envFiles(svc: Service, strict: boolean): Map<string, Readonly<Record<string, string>>> {
    const read = this.#deps.readEnvFile;
    const files = new Map<string, Readonly<Record<string, string>>>();
    for (const file of read ? svc.envFiles : []) {
      try {
        files.set(file, read!(file));
      } catch (error) {
        if (strict) throw error;
      }
    }
    return files;
  }

  /** The instance as its runtime starts it: variables, command, environment and ports. */
  #resolve(instance: Instance): ResolvedInstance {
    const svc = instance.service;
    return resolveInstance(svc, this.#ref(instance), {
      baseEnv: this.#deps.baseEnv,
      envFiles: this.#envFiles(svc, true),
      ports: this.#mesh.publish(svc, instance.replica),
    });
  }

  #hook(
    instance: Instance,
    which: "preScript" | "postScript",
    hook: NonNullable<Service["preScript"]>,
  ): HookRun {
    const vars = instanceVars(this.#ref(instance));
    // A post script runs with the environment of the run that ended.
    const env = which === "postScript" && instance.spec
      ? instance.spec.env
      : instanceEnv(instance.service, vars, {
        baseEnv: this.#deps.baseEnv,
        envFiles: this.#envFiles(instance.service, false),
      });
    return {
      service: instance.service.name,
      replica: instance.replica,
      which,
      command: expandCommand(hook.command, vars),
      cwd: instance.service.workdir,
      env,
      timeoutMs: hook.timeoutMs,
    };
  }

  async #spawn(instance: Instance): Promise<void> {
    const svc = instance.service;
    const runtime = this.#deps.runtimes[svc.runtime];
    try {
      if (!runtime) throw new Error(`the ${svc.runtime} runtime is not available`);
      const hookError = svc.preScript &&
        await this.#hooks.run(this.#hook(instance, "preScript", svc.preScript));
      if (hookError) throw new Error(`preScript failed: ${hookError}`);
      const spec = this.#resolve(instance);
      instance.spec = spec;
      const handle = await runtime.start(spec, {
        onNote: (line) => this.#deps.logs.note(svc.name, instance.replica, line),
      });
      instance.handle = handle;
      const drained = new AbortController();
      const pump = (stream: ReadableStream<Uint8Array>, name: "stdout" | "stderr") =>
        this.#deps.logs.pump(svc.name, instance.replica, stream, name, {
          signal: drained.signal,
          onLine: (line) => instance.health?.logLine(name, line),
        });
      instance.pumps = [pump(handle.stdout, "stdout"), pump(handle.stderr, "stderr")];
      this.#dispatch(instance, { type: "spawned" });
      // The exit is the main process's (and, for a process, all it started is gone by then); the
      // pipes may still be held by something out of reach: what was written is read, then no more.
      const exit = await handle.exited;
      const cancelDrain = this.#deps.clock.setTimer(DRAIN_GRACE_MS, () => drained.abort());
      await Promise.all(instance.pumps);
      cancelDrain();
      const uptimeMs = this.#deps.clock.now() -
        (instance.model.startedAt ?? this.#deps.clock.now());
      this.#deps.emit({
        type: "exited",
        ts: this.#deps.clock.now(),
        service: svc.name,
        replica: instance.replica,
        exit,
        uptimeMs,
      });
      instance.handle = undefined;
      this.#dispatch(instance, { type: "exited", exit });
    } catch (error) {
      instance.handle = undefined;
      this.#dispatch(instance, { type: "spawnFailed", reason: (error as Error).message });
    }
  }

  /**
   * A replica leaving a routed port gets no new connection from now on and its stop signal a moment
   * later, so that connections already handed to it are accepted before it stops accepting.
   */
  #drainThenStop(instance: Instance): void {
    const cancel = this.#deps.clock.setTimer(ROUTE_DRAIN_MS, () => {
      this.#drains.delete(cancel);
      this.#stop(instance);
    });
    this.#drains.add(cancel);
  }

  #stop(instance: Instance): void {
    const handle = instance.handle;
    if (!handle) return;
    if (this.#killing) {
      handle.kill();
      return;
    }
    void handle.stop(instance.service.stop);
  }

  #startProbes(instance: Instance): void {
    const health = instance.service.health;
    if (!health) return;
    const targets = probeTargets(health, {
      service: instance.service,
      replica: instance.replica,
      handle: instance.handle,
      vars: instance.spec?.vars ?? instanceVars(this.#ref(instance)),
      env: instance.spec?.env ?? {},
    });
    const monitor: HealthMonitor = new HealthMonitor(health, targets, {
      prober: this.#deps.prober,
      clock: this.#deps.clock,
      listener: {
        onResult: (probe, result) => {
          instance.probes[probe] = {
            outcome: result.outcome,
            detail: result.detail,
            latencyMs: result.latencyMs,
            ts: this.#deps.clock.now(),
          };
          this.#deps.emit({
            type: "probe",
            ts: this.#deps.clock.now(),
            service: instance.service.name,
            replica: instance.replica,
            probe,
            outcome: result.outcome,
            detail: result.detail,
            latencyMs: result.latencyMs,
          });
          if (instance.health === monitor && !monitor.healthy) {
            this.#dispatch(instance, { type: "probeNote", detail: monitor.describe() });
          }
        },
        onChange: (healthy, detail) => {
          if (instance.health !== monitor) return;
          this.#dispatch(
            instance,
            healthy ? { type: "healthy", detail } : { type: "unhealthy", reason: detail },
          );
        },
      },
    });
    instance.health = monitor;
    monitor.start();
  }

  // ---- changing a running stack -----------------------------------------------------------------

  /** Restarts the running dependents that declared `restart: true` on `name`. */
  #restartFollowers(name: string): void {
    if (this.#shuttingDown) return;
    for (const svc of Object.values(this.#stack.services)) {
      if (!svc.dependsOn.some((d) => d.target === name && d.restart)) continue;
      for (const follower of this.#byService.get(svc.name) ?? []) {
        if (follower.model.want === "up" && isAlive(follower.model.state)) {
          this.#dispatch(follower, { type: "restart" });
        }
      }
    }
  }

  #lowestFreeReplica(name: string): number {
    const used = new Set((this.#byService.get(name) ?? []).map((i) => i.replica));
    let r = 0;
    while (used.has(r)) r++;
    return r;
  }

  /** Adds an instance of `service` and wants it up. */
  #add(service: Service, replica = this.#lowestFreeReplica(service.name)): Instance {
    const instance = this.#newInstance(service, replica);
    const list = this.#byService.get(service.name) ?? [];
    list.push(instance);
    list.sort((a, b) => a.replica - b.replica);
    this.#byService.set(service.name, list);
    if (this.#started) this.#dispatch(instance, { type: "up" });
    return instance;
  }

  /** Stops an instance and forgets it once it is gone. */
  async #retire(instance: Instance): Promise<void> {
    this.#dispatch(instance, { type: "down" });
    await this.#settled(instance);
    instance.cancelBackoff?.();
    this.#instances.delete(instance.key);
    const list = this.#byService.get(instance.service.name);
    if (list) {
      const at = list.indexOf(instance);
      if (at >= 0) list.splice(at, 1);
    }
    this.#route(instance.service.name);
    this.#scheduleReevaluate();
  }

  /** Resolves once every instance is ready (or completed), or with what went wrong. */
  #awaitReady(
    instances: readonly Instance[],
    budget = Math.max(...instances.map((i) => readyBudgetMs(i.service))),
  ): Promise<string | undefined> {
    const views = instances.map((i) => ({
      model: () => i.model,
      id: () => this.#idOf(i),
      health: () => i.health?.describe() ?? "",
    }));
    return awaitReady(views, budget, {
      clock: this.#deps.clock,
      onChange: (l) => this.#onChange(l),
    });
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
    const snapshot = this.#snapshot();
    let nextCheck = Infinity;
    for (const instance of this.#instances.values()) {
      if (instance.model.state !== "waiting" || instance.model.want !== "up") continue;
      if (this.#shuttingDown) continue;
      const { verdict, retryAt } = gate(
        instance.service.dependsOn,
        instance.waitingSince,
        snapshot,
        now,
      );
      nextCheck = Math.min(nextCheck, retryAt);
      switch (verdict.kind) {
        case "met":
          this.#dispatch(instance, { type: "depsMet" });
          break;
        case "timedOut":
          this.#dispatch(instance, { type: "depsTimedOut", reason: verdict.reason });
          break;
        case "blocked":
          if (describeBlocked(verdict.reason) !== instance.model.message) {
            this.#dispatch(instance, { type: "depsBlocked", reason: verdict.reason });
          }
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

  /** The stack's instances as gating reads them (live: each read sees the instances now). */
  #snapshot(): GateSnapshot {
    return {
      instancesOf: (name) =>
        (this.#byService.get(name) ?? []).map((i) => ({
          model: i.model,
          dependsOn: i.service.dependsOn,
          ...(i.health ? { describeHealth: () => i.health!.describe() } : {}),
        })),
      waitAfterMs: (name) => serviceNamed(this.stack, name)?.waitAfterMs ?? 0,
    };
  }

  // ---- settling and shutdown ------------------------------------------------------------------

  #checkIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.#started) return;
    if (this.#failure && !this.#shuttingDown) return;
    const all = [...this.#instances.values()];
    if (this.#shuttingDown) {
      if (all.some((i) => i.handle || isAlive(i.model.state))) return;
    } else {
      if (this.#reevaluateScheduled) return;
      const snapshot = this.#snapshot();
      for (const i of all) {
        if (ACTIVE.has(i.model.state)) return;
        if (i.model.state === "waiting" && !isStuck(i.service.dependsOn, snapshot)) return;
      }
    }
    const outcome = this.#outcome();
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve(outcome);
  }

  #outcome(): Outcome {
    if (this.#failure) return { code: 1, summary: this.#failure };
    const bad = [...this.#instances.values()].filter((i) =>
      i.model.state === "failed" || (i.model.state === "waiting" && i.model.want === "up")
    );
    if (bad.length === 0) return { code: 0, summary: "all services completed" };
    return {
      code: 1,
      summary: bad.map((i) =>
        `${this.#idOf(i)} ${i.model.state === "waiting" ? "" : "failed: "}${i.model.message}`
      )
        .join("; "),
    };
  }

  #killing = false;

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
    const clock = this.#deps.clock;
    this.#deps.emit({
      type: "stack",
      ts: clock.now(),
      phase: "stopping",
      message: this.#failure ?? "",
    });
    const timeoutMs = options.timeoutMs ?? this.#stack.shutdownTimeoutMs;
    const deadline = clock.now() + timeoutMs;
    const cancelKill = clock.setTimer(timeoutMs, () => this.kill());
    const edges = new Map(
      Object.values(this.stack.services).map((s) => [s.name, s.dependsOn.map((d) => d.target)]),
    );
    const levels = topologicalLevels(Object.keys(this.stack.services), edges).reverse();
    for (const level of levels) {
      const instances = level.flatMap((name) => this.#byService.get(name) ?? []);
      for (const instance of instances) this.#dispatch(instance, { type: "down" });
      const alive = instances.filter((i) => i.handle || isAlive(i.model.state));
      const stopWatch = options.onWait && instances.length > 0
        ? narrateStop(() => instances.map((i) => this.#stoppingView(i)), {
          clock,
          say: options.onWait,
          deadline,
        })
        : undefined;
      await Promise.all(alive.map((i) => this.#settled(i)));
      // Their post scripts end (or time out, or are killed at the deadline) before the next level.
      await this.#hooks.settled(instances.map((i) => i.key));
      stopWatch?.();
    }
    await this.#hooks.settled();
    this.#restarts.close();
    await this.#mesh.close();
    cancelKill();
    this.#cancelReevalTimer?.();
    this.#deps.emit({
      type: "stack",
      ts: clock.now(),
      phase: "stopped",
      message: this.#failure ?? "",
    });
    this.#checkIdle();
    this.#stopped.resolve();
  }

  #stoppingView(i: Instance): StoppingView {
    return {
      id: this.#idOf(i),
      alive: i.handle !== undefined || isAlive(i.model.state),
      postScript: this.#hooks.running(i.key),
      signal: i.service.stop.signal,
      stopTimeoutMs: i.service.stop.timeoutMs,
    };
  }

  #settled(instance: Instance): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (
          !instance.handle && !isAlive(instance.model.state) && instance.model.state !== "starting"
        ) {
          resolve();
        } else {
          const unsubscribe = this.#onChange(() => {
            unsubscribe();
            check();
          });
        }
      };
      check();
    });
  }

  readonly #changeListeners = new Set<() => void>();
  #onChange(listener: () => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  /** Kills every instance at once (a second Ctrl-C, or the shutdown timeout). */
  kill(): void {
    this.#killing = true;
    this.#hooks.killAll();
    for (const cancel of this.#drains) cancel();
    this.#drains.clear();
    for (const instance of this.#instances.values()) {
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
