/**
 * `orch up`: load, preflight, claim the project's `.orch/`, clean up after a crashed run, start the
 * engine and the control API, print the merged stream, and stop in order on SIGINT, SIGTERM, SIGHUP
 * or `orch down` (a second signal kills at once). `-d` hands the run to a background orch.
 *
 * @module
 */
import { loadStack } from "../config/load.ts";
import { preflight } from "../config/preflight.ts";
import { formatDuration } from "../domain/duration.ts";
import { serviceNamed } from "../domain/model.ts";
import { killLeftovers } from "../runtime/process/leftovers.ts";
import { VERSION } from "../version.ts";
import { assemble } from "./assemble.ts";
import { upDetached } from "./daemon.ts";
import type { CliIO } from "./io.ts";
import { AsyncWriter, LinePrinter } from "./printer.ts";
import { raiseDescriptorLimit } from "./limits.ts";
import { EventBus, makeController, serveApi, warnIfExposed } from "./serve.ts";
import {
  claim,
  dirOf,
  loadTokens,
  processStart,
  removeRunFiles,
  type RunFile,
  socketPathFor,
  stateDir,
  updateRunFile,
} from "./state.ts";
import { colorEnabled, makeStyle } from "./style.ts";
import { localSource } from "./tui.ts";
import { runTui } from "../tui/app.ts";
import { openTerminal } from "../tui/terminal.ts";

/** Options of `orch up`. */
export interface UpOptions {
  readonly tui?: boolean;
  readonly json?: boolean;
  readonly color?: boolean;
  /** Run in the background and return once started. */
  readonly detach?: boolean;
  /** With `detach`: return once everything is ready, or fail naming what is not. */
  readonly wait?: boolean;
  readonly timeout?: string;
  /** Also serve the API on this TCP address, with tokens. */
  readonly listen?: string;
  readonly token?: string;
  /** Internal: this process is the background orch started by `up -d`. */
  readonly daemonChild?: boolean;
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
  if (options.detach) return await upDetached(io, files, options);
  const startedAt = Date.now();
  const limit = raiseDescriptorLimit();
  const loaded = await loadStack(files, { cwd: io.cwd, env: io.env });
  const { stack } = loaded;
  const project = dirOf(loaded.files[0]);
  const dir = stateDir(project);
  const style = makeStyle(
    options.color !== false && !options.json && !options.daemonChild && colorEnabled(),
  );
  const out = new AsyncWriter(Deno.stdout);
  const tui = options.tui !== false && !options.json && !options.daemonChild && io.isTerminal &&
    Deno.stdin.isTerminal();

  const services = Object.keys(stack.services);
  const printer = new LinePrinter(services, tui ? makeStyle(false) : style, { json: options.json });
  // With the TUI, orch's own notes and events go to the log pane (and the persisted log).
  let toPane: ((text: string, service?: string) => void) | undefined;
  const say = (text: string) => toPane ? toPane(text) : out.write(printer.note(text));
  for (const finding of await preflight(stack)) {
    io.err(`${style.yellow("warning")}: ${finding.service}.${finding.field}: ${finding.message}\n`);
  }
  if (limit.note) io.err(`${style.yellow("warning")}: ${limit.note}\n`);
  if (options.listen && !options.daemonChild) warnIfExposed(io, options.listen);

  const socket = await socketPathFor(project, io.env);
  const baseRun: RunFile = {
    pid: Deno.pid,
    socket,
    startedAt,
    version: VERSION,
    stack: stack.name,
    files: loaded.files,
    procStart: processStart(Deno.pid),
  };
  await claim(project, baseRun);
  const leftovers = killLeftovers(`${dir}/pgids`, project);
  if (leftovers.length > 0) {
    say(`killed ${leftovers.length} process(es) left by an earlier orch that did not stop cleanly`);
  }

  const multi = (name: string) => (serviceNamed(stack, name)?.replicas ?? 1) > 1;
  const bus = new EventBus();
  const parts = assemble(stack, {
    project,
    stateDir: dir,
    baseEnv: Deno.env.toObject(),
    onDropped: (consumer, count) => {
      if (consumer === "terminal") {
        out.write(printer.event({ type: "dropped", ts: Date.now(), consumer, count }, multi));
      }
    },
    emit: (event) => {
      bus.publish(event);
      if (toPane) {
        const text = printer.describe(event, multi);
        if (text) toPane(text, "service" in event ? event.service : undefined);
        return;
      }
      const line = printer.event(event, multi);
      if (line) out.write(line);
    },
  });
  const { engine, logs } = parts;
  if (parts.docker) {
    try {
      const removed = await parts.docker.removeLeftovers();
      if (removed.length > 0) {
        say(
          `removed ${removed.length} container(s) left by an earlier orch: ${removed.join(", ")}`,
        );
      }
    } catch (error) {
      say(`docker: ${(error as Error).message}`);
    }
  }
  if (tui) {
    toPane = (text, service) => logs.note(service ?? "orch", 0, text);
  }

  let stoppedBySignal = false;
  const stop = (why: string, timeoutMs?: number) => {
    if (engine.stopping) return;
    say(why);
    void engine.shutdown({ onWait: say, timeoutMs });
  };
  const controller = makeController({
    engine,
    logs,
    project,
    files: loaded.files,
    startedAt,
    env: io.env,
    shutdown: (timeoutMs) => {
      stoppedBySignal = true;
      stop(
        `shutdown requested${
          timeoutMs !== undefined ? ` (timeout ${formatDuration(timeoutMs)})` : ""
        }`,
        timeoutMs,
      );
    },
  }, bus);
  const tokens = options.listen ? await loadTokens(project, options.token) : undefined;
  let server;
  try {
    server = await serveApi(controller, {
      socket,
      listen: options.listen,
      tokens,
      note: (message) => logs.note("orch", 0, message, "warn"),
    });
  } catch (error) {
    removeRunFiles(project, baseRun);
    await parts.close();
    throw error;
  }
  const run: RunFile = { ...baseRun, ...(server.listen ? { listen: server.listen } : {}) };
  await updateRunFile(project, run);
  if (server.listen) {
    say(`control API on http://${server.listen} (tokens in ${tokens!.file})`);
  }

  // Without the TUI, the merged stream goes to the terminal.
  const subscription = tui ? undefined : logs.subscribe("terminal", { capacity: 20_000 });
  const printing = (async () => {
    if (!subscription) return;
    for await (const batch of subscription.batches()) {
      let text = "";
      for (const record of batch) text += printer.record(record, multi(record.service));
      out.write(text);
    }
  })();

  let signals = 0;
  let firstSignalAt = 0;
  const onSignal = (signal: Deno.Signal) => {
    // A terminal's Ctrl-C reaches the whole foreground group, and wrappers such as `deno task`
    // forward it as well: copies within a moment of the first are the same keypress.
    if (signals === 1 && performance.now() - firstSignalAt < SAME_SIGNAL_MS) return;
    if (signals === 0) firstSignalAt = performance.now();
    signals++;
    stoppedBySignal = true;
    if (signals === 1) stop(`${signal}: stopping (again to kill at once)`);
    else {
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
    const settled = engine.idle();
    if (tui) {
      // Nothing left to run (a stack of oneshots): stop, and the TUI closes with the stack.
      void settled.then(() => {
        if (!engine.stopping) void engine.shutdown({ onWait: say });
      });
      const { stats } = await runTui(
        localSource(engine, logs, { startedAt, captureDir: `${dir}/logs` }),
        openTerminal(),
        {
          ownsStack: true,
          ended: engine.stopped,
          onStop: () => {
            stoppedBySignal = true;
            stop("stopping (asked in the TUI)");
          },
        },
      );
      toPane = undefined;
      // For bench/tui_flood.ts: how many frames the run drew.
      const statsFile = io.env("ORCH_TUI_STATS");
      if (statsFile) await Deno.writeTextFile(statsFile, JSON.stringify(stats) + "\n");
    }
    // In the background, orch stays until `orch down` (or a required service fails); in the
    // foreground it also ends when nothing is left to run.
    const stopped = engine.stopped.then(() => undefined);
    let outcome = options.daemonChild ? await stopped : await Promise.race([settled, stopped]);
    if (!engine.stopping) {
      // The outcome seen when the stack settled names what failed or stayed blocked; the
      // shutdown that follows stops the blocked ones and must not hide them.
      void engine.shutdown({ onWait: say });
    }
    await engine.stopped;
    const after = await engine.idle();
    if (!outcome || outcome.code === 0) outcome = after;
    if (outcome.code !== 0) say(style.red(outcome.summary));
    else if (!stoppedBySignal) say(style.green(outcome.summary));
    return stoppedBySignal && !engine.failure ? 0 : outcome.code;
  } finally {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
    bus.close();
    logs.flush();
    subscription?.close();
    await printing;
    await parts.close();
    await server.close();
    removeRunFiles(project, run);
    await out.drain();
  }
}
