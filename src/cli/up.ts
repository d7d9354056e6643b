/**
 * `orch up` in the foreground: load, preflight, clean up after a crashed run, start the engine, print
 * the merged stream, and stop in order on SIGINT, SIGTERM or SIGHUP (a second one kills at once).
 *
 * @module
 */
import { loadStack } from "../config/load.ts";
import { parseDotenv } from "../config/dotenv.ts";
import { preflight } from "../config/preflight.ts";
import { Engine } from "../engine/engine.ts";
import { systemClock } from "../engine/ports.ts";
import { LogHub } from "../log/hub.ts";
import { createProber } from "../probe/mod.ts";
import { ProcessRuntime } from "../runtime/process/runtime.ts";
import { killLeftovers } from "../runtime/process/leftovers.ts";
import type { CliIO } from "./io.ts";
import { AsyncWriter, LinePrinter } from "./printer.ts";
import { colorEnabled, makeStyle } from "./style.ts";

/** Options of `orch up`. */
export interface UpOptions {
  readonly tui?: boolean;
  readonly json?: boolean;
  readonly color?: boolean;
}

const SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
/** Signals closer together than this count as one. */
const SAME_SIGNAL_MS = 300;

/** Runs the stack until it is stopped or nothing is left to run; returns the exit status. */
export async function upCommand(
  io: CliIO,
  files: readonly string[],
  options: UpOptions,
): Promise<number> {
  const { stack } = await loadStack(files, { cwd: io.cwd, env: io.env });
  const style = makeStyle(options.color !== false && !options.json && colorEnabled());
  const out = new AsyncWriter(Deno.stdout);

  const services = Object.keys(stack.services);
  const printer = new LinePrinter(services, style, { json: options.json });
  const say = (text: string) => out.write(printer.note(text));
  for (const finding of await preflight(stack)) {
    io.err(`${style.yellow("warning")}: ${finding.service}.${finding.field}: ${finding.message}\n`);
  }

  const stateDir = `${stack.workdir}/.orch`;
  await Deno.mkdir(`${stateDir}/logs`, { recursive: true });
  const groupFile = `${stateDir}/pgids`;
  const leftovers = killLeftovers(groupFile, stack.workdir);
  if (leftovers.length > 0) {
    say(`killed ${leftovers.length} process(es) left by an earlier orch that did not stop cleanly`);
  }

  const multi = (name: string) => (stack.services[name]?.replicas ?? 1) > 1;
  const logs = new LogHub({
    ndjsonPath: `${stateDir}/logs/orch.ndjson`,
    onDropped: (_consumer, count) =>
      out.write(
        printer.event({ type: "dropped", ts: Date.now(), consumer: "terminal", count }, multi),
      ),
  });
  for (const svc of Object.values(stack.services)) {
    if (svc.logFile) logs.addPlainFile(svc.name, svc.logFile);
  }
  const runtime = new ProcessRuntime({ project: stack.workdir, groupFile });
  const engine = new Engine(stack, {
    runtimes: { process: runtime },
    runner: runtime,
    prober: createProber(runtime),
    clock: systemClock,
    logs,
    emit: (event) => {
      const line = printer.event(event, multi);
      if (line) out.write(line);
    },
    baseEnv: Deno.env.toObject(),
    readEnvFile: (path) => {
      try {
        return parseDotenv(Deno.readTextFileSync(path)).vars;
      } catch {
        return {};
      }
    },
  });

  const subscription = logs.subscribe("terminal", { capacity: 20_000 });
  const printing = (async () => {
    for await (const record of subscription) {
      out.write(printer.record(record, multi(record.service)));
    }
  })();

  let signals = 0;
  let firstSignalAt = 0;
  let stoppedBySignal = false;
  const onSignal = (signal: Deno.Signal) => {
    // A terminal's Ctrl-C reaches the whole foreground group, and wrappers such as `deno task`
    // forward it as well: copies within a moment of the first are the same keypress.
    if (signals === 1 && performance.now() - firstSignalAt < SAME_SIGNAL_MS) return;
    if (signals === 0) firstSignalAt = performance.now();
    signals++;
    stoppedBySignal = true;
    if (signals === 1) {
      say(`${signal}: stopping (again to kill at once)`);
      void engine.shutdown({ onWait: say });
    } else {
      say(`${signal}: killing every service now`);
      engine.kill();
    }
  };
  const handlers = SIGNALS.map((signal) => {
    const handler = () => onSignal(signal);
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });

  try {
    engine.start();
    let outcome = await engine.idle();
    if (!stoppedBySignal) {
      // The outcome seen when the stack settled names what failed or stayed blocked; the shutdown
      // that follows stops the blocked ones and must not hide them.
      await engine.shutdown({ onWait: say });
      const after = await engine.idle();
      if (outcome.code === 0) outcome = after;
    }
    if (outcome.code !== 0) say(style.red(outcome.summary));
    else if (!stoppedBySignal) say(style.green(outcome.summary));
    return stoppedBySignal && !engine.failure ? 0 : outcome.code;
  } finally {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
    logs.flush();
    subscription.close();
    await printing;
    await runtime.close();
    logs.close();
    await out.drain();
  }
}
