/**
 * The engine: one supervisor per instance, a thin loop that performs their effects, dependency gating,
 * and ordered shutdown. It sees runtimes, probes and logs only through its ports.
 *
 * @module
 */
import { expandDeferred } from "../domain/deferred.ts";
import { formatDuration } from "../domain/duration.ts";
import { topologicalLevels } from "../domain/graph.ts";
import {
  type Command,
  type Dependency,
  type ProbeAlias,
  type Service,
  serviceNamed,
  type Stack,
} from "../domain/model.ts";
import {
  type EngineEvent,
  type InstanceState,
  type InstanceStatus,
  isAlive,
  type ProbeSnapshot,
  type Usage,
} from "../domain/state.ts";
import { ConflictError, NotFoundError } from "../domain/errors.ts";
import type { Plan } from "../domain/plan.ts";
import { type ApplyResult, Changes, readyBudgetMs } from "./changes.ts";
import { checkDependency, type DependencyCheck } from "./dependencies.ts";
import type { LogHub } from "../log/hub.ts";
import { readLines } from "../log/lines.ts";
import { HealthMonitor } from "./health.ts";
import type { Clock, CommandRunner, Handle, Prober, ProbeTarget, Runtime } from "./ports.ts";
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
  readonly logs: LogHub;
  readonly emit: (event: EngineEvent) => void;
  readonly random?: () => number;
  /** The environment instances inherit. */
  readonly baseEnv?: Readonly<Record<string, string>>;
  /** Reads an env file (`envFromFile`) into variables. */
  readonly readEnvFile?: (path: string) => Record<string, string>;
}

/** One instance as the engine tracks it. */
interface Instance {
  /** The definition this instance runs (during a rollout, old and new ones coexist). */
  service: Service;
  readonly replica: number;
  /** Unique while the instance exists: `name#replica`. */
  readonly key: string;
  model: InstanceModel;
  /** It has been ready before: becoming ready again is a restart that dependents may follow. */
  wasReady: boolean;
  probes: Record<string, ProbeSnapshot>;
  handle: Handle | undefined;
  health: HealthMonitor | undefined;
  cancelBackoff: (() => void) | undefined;
  waitingSince: number;
  pumps: Promise<void>[];
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

/** A shutdown level that takes longer than this says what it waits for, */
const NARRATE_AFTER_MS = 1_000;
/** and says it again this often. */
const NARRATE_EVERY_MS = 2_000;

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
      wasReady: false,
      probes: {},
      handle: undefined,
      health: undefined,
      cancelBackoff: undefined,
      waitingSince: 0,
      pumps: [],
    };
    this.#instances.set(key, instance);
    return instance;
  }

  /** `api` for a service with one instance, `api.2` for a replica. */
  #idOf(instance: Instance): string {
    const name = instance.service.name;
    const many = instance.service.replicas > 1 || (this.#byService.get(name)?.length ?? 0) > 1;
    return many ? `${name}.${instance.replica}` : name;
  }

  /** Wants every enabled service up. */
  start(): void {
    this.#started = true;
    this.#deps.emit({ type: "stack", ts: this.#deps.clock.now(), phase: "starting", message: "" });
    for (const instance of this.#instances.values()) this.#dispatch(instance, { type: "up" });
    this.#scheduleReevaluate();
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
   * `maxUnavailable` (at least one), each batch ready before the next; the promise resolves when
   * the last batch is ready, or rejects with what went wrong.
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
      if (rolling) {
        const error = await this.#awaitReady(group);
        if (error) throw new ConflictError(`restart of ${name} stopped: ${error}`);
      }
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
    await Promise.all(alive.map((i) => i.handle!.write(data)));
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
    });
    instance.model = model;
    if (model.state === "waiting" && before.state !== "waiting") instance.waitingSince = now;
    if (model.state === "ready" && before.state !== "ready") {
      if (instance.wasReady) this.#restartFollowers(svc.name);
      instance.wasReady = true;
    }
    if (model.state !== before.state) {
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
          this.#stop(instance);
          break;
        case "startProbes":
          this.#startProbes(instance);
          break;
        case "stopProbes":
          instance.health?.stop();
          instance.health = undefined;
          break;
        case "armBackoff":
          instance.cancelBackoff = this.#deps.clock.setTimer(effect.ms, () => {
            instance.cancelBackoff = undefined;
            this.#dispatch(instance, { type: "backoffElapsed" });
          });
          break;
        case "cancelBackoff":
          instance.cancelBackoff?.();
          instance.cancelBackoff = undefined;
          break;
        case "postScript":
          if (svc.postScript) void this.#runHook(instance, "postScript", svc.postScript);
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

  #vars(instance: Instance): Record<string, string> {
    return {
      ORCH_REPLICA: String(instance.replica),
      ORCH_SERVICE: instance.service.name,
      ORCH_INSTANCE: this.#idOf(instance),
      ORCH_STACK: this.stack.name,
    };
  }

  #expandCommand(command: Command, vars: Record<string, string>): Command {
    return "exec" in command
      ? { exec: command.exec.map((a) => expandDeferred(a, vars)) }
      : { shell: expandDeferred(command.shell, vars) };
  }

  #env(instance: Instance): Record<string, string> {
    const vars = this.#vars(instance);
    // A process inherits orch's environment; a container gets only what the service declares.
    const inherit = instance.service.runtime === "process";
    // A null-prototype table: a variable named __proto__ is a variable like any other.
    const env: Record<string, string> = Object.assign(
      Object.create(null),
      inherit ? this.#deps.baseEnv : {},
    );
    for (const file of instance.service.envFiles) {
      Object.assign(env, this.#deps.readEnvFile?.(file));
    }
    for (const [k, v] of Object.entries(instance.service.env)) env[k] = expandDeferred(v, vars);
    return { ...env, ...vars };
  }

  async #runHook(
    instance: Instance,
    which: "preScript" | "postScript",
    hook: NonNullable<Service["preScript"]>,
  ): Promise<string | undefined> {
    const result = await this.#deps.runner.run(
      this.#expandCommand(hook.command, this.#vars(instance)),
      {
        cwd: instance.service.workdir,
        env: this.#env(instance),
        timeoutMs: hook.timeoutMs,
      },
    );
    const ok = result.code === 0 && !result.timedOut && !result.error;
    for (const line of result.output.split("\n").filter(Boolean)) {
      this.#deps.logs.note(
        instance.service.name,
        instance.replica,
        `${which}: ${line}`,
        ok ? "info" : "error",
      );
    }
    if (ok) return undefined;
    return result.error ??
      (result.timedOut
        ? `timeout after ${formatDuration(hook.timeoutMs)}`
        : `exit code ${result.code}`);
  }

  async #spawn(instance: Instance): Promise<void> {
    const svc = instance.service;
    const runtime = this.#deps.runtimes[svc.runtime];
    try {
      if (!runtime) throw new Error(`the ${svc.runtime} runtime is not available`);
      const hookError = svc.preScript && await this.#runHook(instance, "preScript", svc.preScript);
      if (hookError) throw new Error(`preScript failed: ${hookError}`);
      const vars = this.#vars(instance);
      const service: Service = {
        ...svc,
        command: svc.command ? this.#expandCommand(svc.command, vars) : undefined,
      };
      const handle = await runtime.start({
        service,
        replica: instance.replica,
        instance: this.#idOf(instance),
        stack: this.stack.name,
        env: this.#env(instance),
      }, {
        onNote: (line) => this.#deps.logs.note(svc.name, instance.replica, line),
      });
      instance.handle = handle;
      const pump = (stream: ReadableStream<Uint8Array>, name: "stdout" | "stderr") =>
        readLines(stream, (line) => {
          this.#deps.logs.line(svc.name, instance.replica, name, line);
          instance.health?.logLine(name, line);
        });
      instance.pumps = [pump(handle.stdout, "stdout"), pump(handle.stderr, "stderr")];
      this.#dispatch(instance, { type: "spawned" });
      const exit = await handle.exited;
      await Promise.all(instance.pumps);
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
    const vars = this.#vars(instance);
    const targets: Partial<Record<ProbeAlias, ProbeTarget>> = {};
    if (health.http) {
      targets.http = {
        kind: "http",
        probe: { ...health.http, url: expandDeferred(health.http.url, vars) },
      };
    }
    if (health.tcp) {
      targets.tcp = { kind: "tcp", probe: { address: expandDeferred(health.tcp.address, vars) } };
    }
    if (health.cmd) {
      const handle = instance.handle;
      const inside = health.cmd.inContainer && handle?.exec
        ? {
          runner: { run: (command: Command, o: { timeoutMs: number }) => handle.exec!(command, o) },
        }
        : {};
      targets.cmd = {
        kind: "cmd",
        probe: { ...health.cmd, command: this.#expandCommand(health.cmd.command, vars) },
        cwd: instance.service.workdir,
        env: this.#env(instance),
        ...inside,
      };
    }
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
    this.#scheduleReevaluate();
  }

  /**
   * Resolves with undefined once every instance is ready (a oneshot: completed), or with what went
   * wrong: one failed, crashed, or was not ready within its probes' budget.
   */
  #awaitReady(instances: readonly Instance[]): Promise<string | undefined> {
    const budget = Math.max(...instances.map((i) => readyBudgetMs(i.service)));
    return new Promise((resolve) => {
      let cancelTimer = () => {};
      let unsubscribe = () => {};
      const finish = (result: string | undefined) => {
        cancelTimer();
        unsubscribe();
        resolve(result);
      };
      const check = () => {
        for (const i of instances) {
          const m = i.model;
          if (m.state === "failed" || m.state === "backoff" || m.state === "stopped") {
            return finish(`${this.#idOf(i)} ${m.state}: ${m.message}`), true;
          }
        }
        if (instances.every((i) => i.model.state === "ready" || i.model.state === "completed")) {
          return finish(undefined), true;
        }
        return false;
      };
      if (check()) return;
      unsubscribe = this.#onChange(() => void check());
      cancelTimer = this.#deps.clock.setTimer(budget, () => {
        const late = instances.find((i) => i.model.state !== "ready")!;
        const why = late.health?.describe() || late.model.message || late.model.state;
        finish(`${this.#idOf(late)} not ready after ${formatDuration(budget)} (${why})`);
      });
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
    let nextCheck = Infinity;
    for (const instance of this.#instances.values()) {
      if (instance.model.state !== "waiting" || instance.model.want !== "up") continue;
      if (this.#shuttingDown) continue;
      let blocked: string | undefined;
      for (const dep of instance.service.dependsOn) {
        const check = this.#checkDependency(dep, now);
        if (check.ok) continue;
        if (check.retryAt !== undefined) nextCheck = Math.min(nextCheck, check.retryAt);
        const waited = now - instance.waitingSince;
        if (dep.timeoutMs !== undefined) {
          if (waited >= dep.timeoutMs) {
            this.#dispatch(instance, {
              type: "depsTimedOut",
              reason: `dependency ${dep.target} not ${dep.require} after ${
                formatDuration(dep.timeoutMs)
              }${check.detail ? ` (${check.detail})` : ""}`,
            });
            blocked = undefined;
            break;
          }
          nextCheck = Math.min(nextCheck, instance.waitingSince + dep.timeoutMs);
        }
        const extras = [
          dep.timeoutMs !== undefined ? `timeout ${formatDuration(dep.timeoutMs)}` : "",
          check.detail ?? "",
        ].filter(Boolean).join(", ");
        blocked = `blocked: dependency ${dep.target} ${check.what}${extras ? ` (${extras})` : ""}`;
        break;
      }
      if (instance.model.state !== "waiting") continue;
      if (blocked === undefined) this.#dispatch(instance, { type: "depsMet" });
      else if (blocked !== instance.model.message) {
        this.#dispatch(instance, { type: "depsBlocked", reason: blocked });
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

  #checkDependency(dep: Dependency, now: number): DependencyCheck {
    const targets = (this.#byService.get(dep.target) ?? []).map((i) => ({
      model: i.model,
      ...(i.health ? { describeHealth: () => i.health!.describe() } : {}),
    }));
    return checkDependency(
      dep,
      targets,
      serviceNamed(this.stack, dep.target)?.waitAfterMs ?? 0,
      now,
    );
  }

  // ---- settling and shutdown ------------------------------------------------------------------

  #isStuck(instance: Instance): boolean {
    // Waiting on something that can no longer happen: every dependency's target has settled.
    return instance.service.dependsOn.some((dep) =>
      (this.#byService.get(dep.target) ?? []).every((t) =>
        t.model.state === "failed" || t.model.state === "stopped" || t.model.state === "pending" ||
        (t.model.state === "waiting" && this.#isStuck(t))
      )
    );
  }

  #checkIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.#started) return;
    if (this.#failure && !this.#shuttingDown) return;
    const all = [...this.#instances.values()];
    if (this.#shuttingDown) {
      if (all.some((i) => i.handle || isAlive(i.model.state))) return;
    } else {
      if (this.#reevaluateScheduled) return;
      for (const i of all) {
        if (ACTIVE.has(i.model.state)) return;
        if (i.model.state === "waiting" && !this.#isStuck(i)) return;
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
      const stopWatch = options.onWait && alive.length > 0
        ? this.#narrateStop(alive, options.onWait, deadline)
        : undefined;
      await Promise.all(alive.map((i) => this.#settled(i)));
      stopWatch?.();
    }
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

  /**
   * Says what a shutdown level waits for and when it escalates, then again every few seconds with
   * the time left, until the level is done (call the returned function).
   */
  #narrateStop(alive: Instance[], say: (what: string) => void, deadline: number): () => void {
    const clock = this.#deps.clock;
    const began = clock.now();
    const escalation = (now: number) => {
      const pending = alive.filter((i) => i.handle || isAlive(i.model.state));
      const killAt = Math.min(
        deadline,
        began + Math.max(...pending.map((i) => i.service.stop.timeoutMs)),
      );
      const signals = [...new Set(pending.map((i) => i.service.stop.signal))].join("/");
      const names = pending.map((i) => this.#idOf(i)).join(", ");
      const left = killAt - now;
      const by = killAt === deadline ? "the shutdown timeout" : "its stop timeout";
      return left > 0
        ? `${names} (${signals} sent; SIGKILL in ${
          formatDuration(Math.ceil(left / 1000) * 1000)
        }, ${by})`
        : `${names} (SIGKILL sent)`;
    };
    let cancel = () => {};
    let first = true;
    const tick = () => {
      say(`${first ? "" : "still "}waiting for ${escalation(clock.now())}`);
      first = false;
      cancel = clock.setTimer(NARRATE_EVERY_MS, tick);
    };
    cancel = clock.setTimer(NARRATE_AFTER_MS, tick);
    return () => cancel();
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
