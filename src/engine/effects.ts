/**
 * The effects the supervisor asks for, performed on one instance: spawning it (its preScript, its
 * resolution, its runtime, its log pumps, its exit), stopping it (a moment after it left a routed
 * port), its probes, its backoff under the stack's restart cap, and its post script. What happens
 * comes back to the supervisor as events, through `dispatch`.
 *
 * @module
 */
import {
  expandCommand,
  type Hook,
  instanceEnv,
  type InstanceRef,
  type InstanceState,
  instanceVars,
  type ResolvedInstance,
  resolveInstance,
  runtimeUnavailable,
  type Service,
} from "../domain/mod.ts";
import { HealthMonitor } from "./health.ts";
import { type HookRun, Hooks } from "./hooks.ts";
import { hasProcess, type Instance } from "./instances.ts";
import { RESTART_HELD, RestartLimiter } from "./limiter.ts";
import { type Mesh, ROUTE_DRAIN_MS } from "./mesh.ts";
import type { EngineDeps } from "./ports.ts";
import { probeTargets } from "./probe_targets.ts";
import type { StoppingView } from "./shutdown.ts";
import type { Effect, SupervisorEvent } from "./supervisor.ts";

/** After an exit, output already written is read to its end within this long (then cancelled). */
const DRAIN_GRACE_MS = 2_000;

/** What the effects need of the engine. */
export interface EffectsContext {
  readonly deps: EngineDeps;
  readonly mesh: Mesh;
  /** Feeds what happened back to the instance's supervisor. */
  dispatch(instance: Instance, event: SupervisorEvent): void;
  /** `api`, `api.2`. */
  idOf(instance: Instance): string;
  /** The stack's name now. */
  stackName(): string;
}

/** Performs effects; owns the hooks, the restart cap and the drains they use. */
export class Effects {
  readonly #ctx: EffectsContext;
  readonly #deps: EngineDeps;
  /** Hooks of every instance: a shutdown waits for their post scripts. */
  readonly hooks: Hooks;
  /** The stack's cap on restarts after crashes. */
  readonly restarts: RestartLimiter;
  readonly #drains = new Set<() => void>();
  #killing = false;

  constructor(ctx: EffectsContext) {
    this.#ctx = ctx;
    this.#deps = ctx.deps;
    this.hooks = new Hooks(ctx.deps);
    this.restarts = new RestartLimiter(ctx.deps.clock);
  }

  /** Performs one effect on `instance`, which was in state `from` before the step. */
  perform(instance: Instance, effect: Effect, from: InstanceState): void {
    const svc = instance.service;
    switch (effect.type) {
      case "spawn":
        void this.#spawn(instance);
        break;
      case "stop":
        if (from === "ready" && this.#ctx.mesh.routed(svc.name)) this.#drainThenStop(instance);
        else this.#stop(instance);
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
        instance.cancelBackoff = this.restarts.after(effect.ms, () => {
          instance.cancelBackoff = undefined;
          this.#ctx.dispatch(instance, { type: "backoffElapsed" });
        }, () => this.#deps.logs.note(svc.name, instance.replica, RESTART_HELD));
        break;
      case "cancelBackoff":
        instance.cancelBackoff?.();
        instance.cancelBackoff = undefined;
        break;
      case "postScript":
        if (svc.postScript) {
          this.hooks.startPost(instance.key, this.#hook(instance, "postScript", svc.postScript));
        }
        break;
      default: {
        const never: never = effect;
        throw new Error(`unhandled effect ${JSON.stringify(never)}`);
      }
    }
  }

  /** From now on a stop kills at once: hooks are killed, stops waiting on a drain happen now. */
  killAll(): void {
    this.#killing = true;
    this.hooks.killAll();
    for (const cancel of this.#drains) cancel();
    this.#drains.clear();
  }

  /** The instance as the shutdown's narration reads it. */
  stoppingView(instance: Instance): StoppingView {
    return {
      id: this.#ctx.idOf(instance),
      alive: hasProcess(instance),
      postScript: this.hooks.running(instance.key),
      signal: instance.service.stop.signal,
      stopTimeoutMs: instance.service.stop.timeoutMs,
    };
  }

  #ref(instance: Instance): InstanceRef {
    return {
      service: instance.service.name,
      replica: instance.replica,
      id: this.#ctx.idOf(instance),
      stack: this.#ctx.stackName(),
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
      ports: this.#ctx.mesh.publish(svc, instance.replica),
    });
  }

  #hook(instance: Instance, which: "preScript" | "postScript", hook: Hook): HookRun {
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
    const { clock, logs } = this.#deps;
    const dispatch = (event: SupervisorEvent) => this.#ctx.dispatch(instance, event);
    const runtime = this.#deps.runtimes[svc.runtime];
    try {
      if (!runtime) throw runtimeUnavailable(svc.runtime);
      const hookError = svc.preScript &&
        await this.hooks.run(this.#hook(instance, "preScript", svc.preScript));
      if (hookError) throw new Error(`preScript failed: ${hookError}`);
      const spec = this.#resolve(instance);
      instance.spec = spec;
      const handle = await runtime.start(spec, {
        onNote: (line) => logs.note(svc.name, instance.replica, line),
      });
      instance.handle = handle;
      const drained = new AbortController();
      const pump = (stream: ReadableStream<Uint8Array>, name: "stdout" | "stderr") =>
        logs.pump(svc.name, instance.replica, stream, name, {
          signal: drained.signal,
          // Lines become strings only for a log probe.
          onLine: svc.health?.log ? (line) => instance.health?.logLine(name, line) : undefined,
        });
      instance.pumps = [pump(handle.stdout, "stdout"), pump(handle.stderr, "stderr")];
      dispatch({ type: "spawned" });
      // The exit is the main process's (and, for a process, all it started is gone by then); the
      // pipes may still be held by something out of reach: what was written is read, then no more.
      const exit = await handle.exited;
      const cancelDrain = clock.setTimer(DRAIN_GRACE_MS, () => drained.abort());
      await Promise.all(instance.pumps);
      cancelDrain();
      const uptimeMs = clock.now() - (instance.model.startedAt ?? clock.now());
      this.#deps.emit({
        type: "exited",
        ts: clock.now(),
        service: svc.name,
        replica: instance.replica,
        exit,
        uptimeMs,
      });
      instance.handle = undefined;
      dispatch({ type: "exited", exit });
    } catch (error) {
      instance.handle = undefined;
      dispatch({ type: "spawnFailed", reason: (error as Error).message });
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
    const { clock, emit } = this.#deps;
    const targets = probeTargets(health, {
      service: instance.service,
      replica: instance.replica,
      handle: instance.handle,
      vars: instance.spec?.vars ?? instanceVars(this.#ref(instance)),
      env: instance.spec?.env ?? {},
    });
    const monitor: HealthMonitor = new HealthMonitor(health, targets, {
      prober: this.#deps.prober,
      clock,
      listener: {
        onResult: (probe, result) => {
          const { outcome, detail, latencyMs } = result;
          instance.probes[probe] = { outcome, detail, latencyMs, ts: clock.now() };
          emit({
            type: "probe",
            ts: clock.now(),
            service: instance.service.name,
            replica: instance.replica,
            probe,
            outcome,
            detail,
            latencyMs,
          });
          if (instance.health === monitor && !monitor.healthy) {
            this.#ctx.dispatch(instance, { type: "probeNote", detail: monitor.describe() });
          }
        },
        onChange: (healthy, detail) => {
          if (instance.health !== monitor) return;
          this.#ctx.dispatch(
            instance,
            healthy ? { type: "healthy", detail } : { type: "unhealthy", reason: detail },
          );
        },
      },
    });
    instance.health = monitor;
    monitor.start();
  }
}
