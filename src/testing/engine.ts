/**
 * Builds a real engine (process runtime, real probes, real log hub) on a stack written as YAML, for
 * tests.
 *
 * @module
 */
import { loadStack } from "../config/load.ts";
import { Engine } from "../engine/engine.ts";
import { systemClock } from "../engine/ports.ts";
import { LogHub } from "../log/hub.ts";
import { createProber } from "../probe/mod.ts";
import { ProcessRuntime } from "../runtime/process/runtime.ts";
import { EventRecorder } from "./recorder.ts";

/** An engine on a temporary project, disposed with everything stopped. */
export interface TestStack extends AsyncDisposable {
  readonly engine: Engine;
  readonly events: EventRecorder;
  readonly logs: LogHub;
  readonly dir: string;
}

/** Writes `yaml` to a temporary project and builds an engine for it (not started). */
export async function testStack(yaml: string): Promise<TestStack> {
  const dir = await Deno.makeTempDir({ prefix: "orch-engine-" });
  await Deno.writeTextFile(`${dir}/stack.yaml`, yaml);
  const { stack } = await loadStack([`${dir}/stack.yaml`], { env: (n) => Deno.env.get(n) });
  const events = new EventRecorder();
  const logs = new LogHub({ ndjsonPath: `${dir}/.orch/logs/orch.ndjson` });
  logs.onRecord(() => events.poke());
  const runtime = new ProcessRuntime({ project: dir, groupFile: `${dir}/.orch/pgids` });
  const engine = new Engine(stack, {
    runtimes: { process: runtime },
    runner: runtime,
    prober: createProber(runtime),
    clock: systemClock,
    logs,
    emit: events.emit,
    baseEnv: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
  });
  return {
    engine,
    events,
    logs,
    dir,
    async [Symbol.asyncDispose]() {
      engine.kill();
      await engine.shutdown();
      await runtime.close();
      logs.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
