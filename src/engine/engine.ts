/**
 * The engine: one supervisor per instance, a thin loop that performs their effects, dependency gating,
 * and ordered shutdown. It sees runtimes, probes and logs only through its ports.
 *
 * @module
 */
import { expandDeferred } from "../domain/deferred.ts";
import { formatDuration } from "../domain/duration.ts";
import { topologicalLevels } from "../domain/graph.ts";
import type { Command, Dependency, ProbeAlias, Service, Stack } from "../domain/model.ts";
import { type EngineEvent, type InstanceState, isAlive } from "../domain/state.ts";
import { ConflictError, NotFoundError } from "../domain/errors.ts";
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
  readonly service: Service;
  readonly replica: number;
  readonly id: string;
  model: InstanceModel;
  handle: Handle | undefined;
  health: HealthMonitor | undefined;
  cancelBackoff: (() => void) | undefined;
  waitingSince: number;
  pumps: Promise<void>[];
}

/** A read-only view of an instance, for status output. */
export interface InstanceStatus {
  readonly service: string;
  readonly replica: number;
  readonly id: string;
  readonly state: InstanceState;
  readonly want: "up" | "down";
  readonly pid: number | undefined;
  readonly restarts: number;
  readonly startedAt: number | undefined;
  readonly readyAt: number | undefined;
  readonly since: number;
  readonly message: string;
}

/** How a finished run ended. */
export interface Outcome {
  /** 0 when everything completed or stopped cleanly. */
  readonly code: number;
  readonly summary: string;
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
  readonly stack: Stack;
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

  constructor(stack: Stack, deps: EngineDeps) {
    this.stack = stack;
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

  #newInstance(service: Service, replica: number): Instance {
    const id = service.replicas > 1 ? `${service.name}.${replica}` : service.name;
    const instance: Instance = {
      service,
      replica,
      id,
      model: initialModel(this.#deps.clock.now()),
      handle: undefined,
      health: undefined,
      cancelBackoff: undefined,
      waitingSince: 0,
      pumps: [],
    };
    this.#instances.set(id, instance);
    return instance;
  }

  /** Wants every enabled service up. */
  start(): void {
    this.#started = true;
    this.#deps.emit({ type: "stack", ts: this.#deps.clock.now(), phase: "starting", message: "" });
    for (const instance of this.#instances.values()) this.#dispatch(instance, { type: "up" });
    this.#scheduleReevaluate();
  }

  /** Snapshot of every instance, in declaration order. */
  status(): InstanceStatus[] {
    return [...this.#byService.values()].flat().map((i) => ({
      service: i.service.name,
      replica: i.replica,
      id: i.id,
      state: i.model.state,
      want: i.model.want,
      pid: i.handle?.pid,
      restarts: i.model.restarts,
      startedAt: i.model.startedAt,
      readyAt: i.model.readyAt,
      since: i.model.since,
      message: i.model.message,
    }));
  }

  #instancesOf(name: string): Instance[] {
    const list = this.#byService.get(name);
    if (!list) throw new NotFoundError(`no service named "${name}"`);
    return list;
  }

  /** Restarts a service's instances (all of them, one after another for replicas). */
  restart(name: string): void {
    if (this.#shuttingDown) throw new ConflictError("the stack is shutting down");
    for (const instance of this.#instancesOf(name)) this.#dispatch(instance, { type: "restart" });
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
      ORCH_INSTANCE: instance.id,
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
    const env: Record<string, string> = { ...(this.#deps.baseEnv ?? {}) };
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
      this.#deps.logs.append({
        ts: this.#deps.clock.now(),
        seq: 0,
        service: instance.service.name,
        replica: instance.replica,
        stream: "orch",
        level: ok ? "info" : "error",
        msg: `${which}: ${line}`,
      });
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
        instance: instance.id,
        stack: this.stack.name,
        env: this.#env(instance),
      }, {});
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
      targets.cmd = {
        kind: "cmd",
        probe: { ...health.cmd, command: this.#expandCommand(health.cmd.command, vars) },
        cwd: instance.service.workdir,
        env: this.#env(instance),
      };
    }
    const monitor: HealthMonitor = new HealthMonitor(health, targets, {
      prober: this.#deps.prober,
      clock: this.#deps.clock,
      listener: {
        onResult: (probe, result) => {
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

  #checkDependency(
    dep: Dependency,
    now: number,
  ): { ok: boolean; what?: string; detail?: string; retryAt?: number } {
    const targets = this.#byService.get(dep.target) ?? [];
    const svc = this.stack.services[dep.target];
    if (targets.length === 0) return { ok: false, what: "has no replicas" };
    let retryAt: number | undefined;
    const passes = (i: Instance): boolean => {
      const m = i.model;
      let since: number | undefined;
      if (dep.require === "completed") return m.state === "completed";
      if (dep.require === "ready") {
        since = m.state === "ready" ? m.readyAt ?? m.startedAt : undefined;
      } else {since = m.state === "running" || m.state === "ready" || m.state === "completed"
          ? m.startedAt
          : undefined;}
      if (since === undefined) return false;
      const at = since + (svc?.waitAfterMs ?? 0);
      if (at > now) {
        retryAt = retryAt === undefined ? at : Math.min(retryAt, at);
        return false;
      }
      return true;
    };
    const ok = dep.require === "completed" ? targets.every(passes) : targets.some(passes);
    if (ok) return { ok };
    const first = targets.find((t) => t.model.state !== "completed") ?? targets[0];
    const m = first.model;
    let detail = "";
    if (retryAt !== undefined) detail = `wait_after ${formatDuration(svc?.waitAfterMs ?? 0)}`;
    else if (m.state === "failed") detail = m.message;
    else if (m.state === "running" && first.health) detail = first.health.describe();
    else if (m.message) detail = `${m.state}: ${m.message}`;
    else detail = m.state;
    if (m.state === "failed") return { ok: false, what: "failed", detail: m.message, retryAt };
    if (m.state === "waiting" && m.message.startsWith("blocked: ")) {
      return { ok: false, what: "blocked", detail: m.message.slice("blocked: ".length), retryAt };
    }
    return { ok: false, what: `not ${dep.require}`, detail, retryAt };
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
        `${i.id} ${i.model.state === "waiting" ? "" : "failed: "}${i.model.message}`
      )
        .join("; "),
    };
  }

  #killing = false;

  /**
   * Stops the stack in reverse dependency order: dependents first, in parallel within a level, each
   * with its own stop timeout, the whole under the stack's shutdown timeout.
   */
  shutdown(options: { onWait?: (what: string) => void } = {}): Promise<void> {
    if (!this.#shuttingDown) {
      this.#shuttingDown = Promise.resolve();
      this.#shuttingDown = this.#shutdown(options);
    }
    return this.#shuttingDown;
  }

  async #shutdown(options: { onWait?: (what: string) => void }): Promise<void> {
    const clock = this.#deps.clock;
    this.#deps.emit({
      type: "stack",
      ts: clock.now(),
      phase: "stopping",
      message: this.#failure ?? "",
    });
    const deadline = clock.now() + this.stack.shutdownTimeoutMs;
    const cancelKill = clock.setTimer(this.stack.shutdownTimeoutMs, () => this.kill());
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
      const names = pending.map((i) => i.id).join(", ");
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

  /** The failure that ended the run, if one did. */
  get failure(): string | undefined {
    return this.#failure;
  }
}
