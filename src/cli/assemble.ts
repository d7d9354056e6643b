/**
 * Putting an engine together from its real parts: the process runtime (with its cgroups and unit
 * record), the guard both runtimes register with, real probes, the TCP routing mesh and the log
 * hub writing under the project's `.orch/`.
 *
 * @module
 */
import { readEnvFile } from "../config/cached/mod.ts";
import type { EngineEvent, Stack } from "../domain/mod.ts";
import { type Clock, Engine, systemClock } from "../engine/mod.ts";
import { LogHub } from "../log/mod.ts";
import { createProber } from "../probe/mod.ts";
import {
  type CgroupSetup,
  type ContainmentChoice,
  newRunId,
  parseContainment,
  ProcessRuntime,
} from "../runtime/process/mod.ts";
import type { DockerRuntime } from "../runtime/docker/mod.ts";
import { TcpRouter } from "../runtime/proxy/mod.ts";
import { Guard } from "../runtime/mod.ts";

/** What to assemble with. */
export interface AssembleOptions {
  /** The project directory: processes are marked with it, for cleanup after a crash. */
  readonly project: string;
  /** The project's state directory (`.orch/`). */
  readonly stateDir: string;
  readonly emit: (event: EngineEvent) => void;
  readonly baseEnv: Readonly<Record<string, string>>;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly onDropped?: (consumer: string, count: number) => void;
  /** Start the Docker runtime even when no service needs it (flow tasks do). */
  readonly docker?: boolean;
  /** How instances are tracked; default: `ORCH_CONTAINMENT` in `baseEnv`, else `auto`. */
  readonly containment?: ContainmentChoice;
  /** The run's guard and its containment, when they were made before (up_early.ts). */
  readonly early?: { readonly guard: Guard; readonly setup: Promise<CgroupSetup> };
}

/** An engine with its parts; `close` releases them once the engine has stopped. */
export interface Assembled {
  readonly engine: Engine;
  readonly logs: LogHub;
  readonly runtime: ProcessRuntime;
  /** Present when the stack has Docker services. */
  readonly docker: DockerRuntime | undefined;
  close(): Promise<void>;
}

/** Builds the engine for `stack` (not started); the Docker runtime loads only for Docker services. */
export async function assemble(stack: Stack, options: AssembleOptions): Promise<Assembled> {
  const logs = new LogHub({
    ndjsonPath: `${options.stateDir}/logs/orch.ndjson`,
    onDropped: options.onDropped,
  });
  for (const svc of Object.values(stack.services)) {
    if (svc.logFile) logs.addPlainFile(svc.name, svc.logFile);
  }
  const onNote = (text: string) => logs.note("orch", 0, text, "warn");
  const guard = options.early?.guard ?? new Guard({ run: newRunId(), onNote });
  const runtime = new ProcessRuntime({
    project: options.project,
    stateDir: options.stateDir,
    containment: options.containment ?? parseContainment(options.baseEnv.ORCH_CONTAINMENT),
    guard,
    onNote,
    ...(options.early ? { setup: options.early.setup } : {}),
  });
  const docker = options.docker || Object.values(stack.services).some((s) => s.runtime === "docker")
    ? new (await import("../runtime/docker/mod.ts")).DockerRuntime({
      project: options.project,
      dockerHost: options.baseEnv.DOCKER_HOST,
      networks: stack.networks,
      guard,
    })
    : undefined;
  const router = new TcpRouter();
  const engine = new Engine(stack, {
    runtimes: { process: runtime, ...(docker ? { docker } : {}) },
    runner: runtime,
    prober: createProber(runtime),
    clock: options.clock ?? systemClock,
    random: options.random,
    logs,
    emit: options.emit,
    baseEnv: options.baseEnv,
    router,
    // An env file that cannot be read fails the start, naming it (it used to be an empty one).
    readEnvFile,
  });
  return {
    engine,
    logs,
    runtime,
    docker,
    async close() {
      logs.flush();
      await router.close();
      await runtime.close();
      await docker?.close();
      await guard.close();
      logs.close();
    },
  };
}
