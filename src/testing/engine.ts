/**
 * Builds a real engine (process runtime, real probes, real log hub) on a stack written as YAML, for
 * tests.
 *
 * @module
 */
import { loadStack } from "../config/mod.ts";
import { assemble } from "../cli/mod.ts";
import type { Clock, Engine } from "../engine/mod.ts";
import type { LogHub } from "../log/mod.ts";
import type { DockerRuntime } from "../runtime/docker/mod.ts";
import type { ContainmentChoice, ProcessRuntime } from "../runtime/process/mod.ts";
import { EventRecorder } from "./recorder.ts";

/** An engine on a temporary project, disposed with everything stopped. */
export interface TestStack extends AsyncDisposable {
  readonly engine: Engine;
  /** The Docker runtime, when the stack has Docker services. */
  readonly docker: DockerRuntime | undefined;
  /** The process runtime. */
  readonly runtime: ProcessRuntime;
  readonly events: EventRecorder;
  readonly logs: LogHub;
  readonly dir: string;
}

/** What a test may swap in. */
export interface TestStackOptions {
  readonly clock?: Clock;
  readonly random?: () => number;
  /** How instances are tracked (default: the best this machine allows). */
  readonly containment?: ContainmentChoice;
}

/** Writes `yaml` to a temporary project and builds an engine for it (not started). */
export async function testStack(yaml: string, options: TestStackOptions = {}): Promise<TestStack> {
  const dir = await Deno.makeTempDir({ prefix: "orch-engine-" });
  await Deno.writeTextFile(`${dir}/stack.yaml`, yaml);
  return await testStackFromFiles([`${dir}/stack.yaml`], { ...options, stateDir: dir });
}

/**
 * Builds an engine for existing stack files (not started). Its state (logs, group file) goes to
 * `stateDir`, a new temporary directory unless given; that directory is removed on dispose.
 */
export async function testStackFromFiles(
  files: readonly string[],
  options: TestStackOptions & { stateDir?: string } = {},
): Promise<TestStack> {
  const dir = options.stateDir ?? await Deno.makeTempDir({ prefix: "orch-engine-" });
  const { stack } = await loadStack(files, { env: (n) => Deno.env.get(n) });
  const events = new EventRecorder();
  const parts = await assemble(stack, {
    project: dir,
    stateDir: `${dir}/.orch`,
    emit: events.emit,
    clock: options.clock,
    random: options.random,
    containment: options.containment,
    baseEnv: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      ...(Deno.env.get("DOCKER_HOST") ? { DOCKER_HOST: Deno.env.get("DOCKER_HOST")! } : {}),
    },
  });
  const { engine, logs } = parts;
  logs.onRecord(() => events.poke());
  return {
    engine,
    docker: parts.docker,
    runtime: parts.runtime,
    events,
    logs,
    dir,
    async [Symbol.asyncDispose]() {
      engine.kill();
      await engine.shutdown();
      await parts.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
