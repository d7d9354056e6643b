/**
 * `orch up`: load, preflight, claim the project's `.orch/`, clean up after a crashed run, start the
 * engine and the control API, print the merged stream, and stop in order on SIGINT, SIGTERM, SIGHUP
 * or `orch down` (a second signal kills at once). `-d` hands the run to a background orch.
 *
 * @module
 */
import { preflight } from "../config/preflight.ts";
import { formatDuration } from "../domain/duration.ts";
import { OrchError } from "../domain/errors.ts";
import { serviceNamed } from "../domain/model.ts";
import { killLeftovers } from "../runtime/process/leftovers.ts";
import { limitFindings } from "../runtime/process/limits.ts";
import { parseContainment } from "../runtime/process/cgroup_detect.ts";
import { Guard } from "../runtime/guard.ts";
import { VERSION } from "../version.ts";
import { assemble } from "./assemble.ts";
import {
  dbPath,
  EngineServices,
  flowEventJson,
  flowEventText,
  openFlows,
  usesDocker,
} from "./flows.ts";
import { parseMaxExecutors } from "./jobs.ts";
import { requirePermission } from "./exit.ts";
import type { CliIO } from "./io.ts";
import { AsyncWriter, LinePrinter, terminalCleaner } from "./printer.ts";
import { raiseDescriptorLimit } from "./limits.ts";
import { EventBus, makeController, serveApi, warnIfExposed } from "./serve.ts";
import {
  claim,
  loadTokens,
  processStart,
  removeRunFiles,
  type RunFile,
  socketPathFor,
  stateDir,
  updateRunFile,
} from "./state.ts";
import { colorEnabled, makeStyle } from "./style.ts";
import { UpInit, type UpInitOptions } from "./init.ts";
import { loadNeeds, requireAll } from "./permissions.ts";
import { finalReport, localSource } from "./tui.ts";
import { runTui } from "../tui/app.ts";
import { type InteropLoadOptions, loadOptionsOf, printWarnings } from "./load_options.ts";
import { loadProjectFor, requestOf } from "./config_loader.ts";
import { openTerminal } from "../tui/terminal.ts";

/** Options of `orch up`. */
export interface UpOptions extends InteropLoadOptions, UpInitOptions {
  readonly tui?: boolean;
  readonly json?: boolean;
  readonly color?: boolean;
  /** Print services' output as is, escape sequences included, even on a terminal. */
  readonly raw?: boolean;
  /** Run in the background and return once started. */
  readonly detach?: boolean;
  /** With `detach`: return once everything is ready, or fail naming what is not. */
  readonly wait?: boolean;
  readonly timeout?: string;
  /** Also serve the API on this TCP address, with tokens. */
  readonly listen?: string;
  readonly token?: string;
  /** The flows' history database (default `.orch/history.db`). */
  readonly db?: string;
  /** Flow tasks running at once. */
  readonly maxExecutors?: string;
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
  requireAll("up", loadNeeds(io.cwd, files));
  // Without it every service would fail to start, again and again.
  requirePermission("run");
  if (options.detach) return await (await import("./daemon.ts")).upDetached(io, files, options);
  const init = new UpInit(options);
  const startedAt = Date.now();
  const limit = raiseDescriptorLimit();
  const maxExecutors = parseMaxExecutors(options.maxExecutors);
  const loadOptions = loadOptionsOf(options);
  // Through the config cache; a change is loaded in a short-lived process (config_loader.ts).
  const loaded = await loadProjectFor(requestOf(io.cwd, files, loadOptions), {
    env: io.env,
    separate: true,
  });
  const { stack } = loaded;
  const project = loaded.project;
  const hasFlows = Object.keys(loaded.flows.flows).length > 0;
  init.prepare(stack);
  const dir = stateDir(project);
  const style = makeStyle(
    options.color !== false && !options.json && !options.daemonChild && colorEnabled(),
  );
  // A terminal or pipe that goes away is a hangup: the stack stops in order, as on SIGHUP.
  let onOutputGone = (_reason: string) => {};
  const out = new AsyncWriter(Deno.stdout, {
    onGone: (error) => onOutputGone(`stdout is gone (${error.message})`),
  });
  const tui = options.tui !== false && !options.json && !options.daemonChild && io.isTerminal &&
    Deno.stdin.isTerminal();

  const services = [
    ...Object.keys(stack.services),
    ...Object.values(loaded.flows.flows).flatMap((f) =>
      Object.keys(f.tasks).map((t) => `${f.name}/${t}`)
    ),
  ];
  const printer = new LinePrinter(services, tui ? makeStyle(false) : style, {
    json: options.json,
    clean: terminalCleaner({ terminal: io.isTerminal, raw: options.raw, colors: style.enabled }),
  });
  // With the TUI, orch's own notes and events go to the log pane (and the persisted log); so they
  // do when the terminal is gone, for nobody would read them on it.
  let toPane: ((text: string, service?: string, replica?: number) => void) | undefined;
  let terminalGone = false;
  const say = (text: string) => toPane ? toPane(text) : out.write(printer.note(text));
  const socket = await socketPathFor(project, io.env);
  printWarnings(io, loaded.warnings, style.yellow("warning"));
  const containment = parseContainment(io.env("ORCH_CONTAINMENT"));
  const findings = [
    ...await preflight(stack),
    ...await limitFindings(stack, project, containment),
  ];
  for (const finding of findings) {
    io.err(`${style.yellow("warning")}: ${finding.service}.${finding.field}: ${finding.message}\n`);
  }
  if (
    Object.values(stack.services).some((s) => s.enabled && s.runtime === "docker") &&
    !Guard.canRemoveContainers()
  ) {
    io.err(
      `${style.yellow("warning")}: curl is not on PATH: if orch is killed, its containers are ` +
        "removed only by the next orch up or orch down\n",
    );
  }
  if (limit.note) io.err(`${style.yellow("warning")}: ${limit.note}\n`);
  if (options.listen && !options.daemonChild) warnIfExposed(io, options.listen);

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
  const leftovers = await killLeftovers(dir, project);
  if (leftovers.length > 0) {
    say(`killed ${leftovers.length} process(es) left by an earlier orch that did not stop cleanly`);
  }

  const multi = (name: string) => (serviceNamed(stack, name)?.replicas ?? 1) > 1;
  const bus = new EventBus();
  // The flows see the services through the engine's status and events.
  const serviceView = hasFlows ? new EngineServices(() => engine.status()) : undefined;
  const parts = assemble(stack, {
    project,
    stateDir: dir,
    baseEnv: Deno.env.toObject(),
    docker: usesDocker(loaded.flows),
    containment,
    onDropped: (consumer, count) => {
      if (consumer === "terminal") {
        out.write(printer.event({ type: "dropped", ts: Date.now(), consumer, count }, multi));
      }
    },
    emit: (event) => {
      init.observe(event);
      serviceView?.observe(event);
      bus.publish(event);
      if (toPane) {
        const text = printer.describe(event, multi);
        if (text) {
          toPane(
            text,
            "service" in event ? event.service : undefined,
            "replica" in event ? event.replica : undefined,
          );
        }
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
  // A note about one instance is recorded under its replica (one about the service: 0).
  const toLog = (text: string, service?: string, replica?: number) =>
    logs.note(service ?? "orch", replica ?? 0, text);
  if (tui) toPane = toLog;

  // The flows run beside the services, on the same log hub and runtimes.
  let flows;
  try {
    flows = hasFlows
      ? openFlows(loaded.flows, {
        stateDir: dir,
        stack: stack.name,
        logs,
        runtimes: { process: parts.runtime, ...(parts.docker ? { docker: parts.docker } : {}) },
        emit: (event) => {
          const text = options.json ? undefined : flowEventText(event);
          if (options.json) out.write(flowEventJson(event));
          else if (text) say(text);
        },
        db: dbPath(options.db, io.cwd),
        maxExecutors,
        services: serviceView,
        baseEnv: Deno.env.toObject(),
      })
      : undefined;
  } catch (error) {
    removeRunFiles(project, baseRun);
    await parts.close();
    throw error;
  }

  let stoppedBySignal = false;
  let stopping = false;
  const stop = (why: string, timeoutMs?: number) => {
    if (stopping || engine.stopping) return;
    stopping = true;
    say(why);
    // Flow tasks may need services: they stop first.
    void (flows?.scheduler.stop() ?? Promise.resolve()).then(() =>
      engine.shutdown({ onWait: say, timeoutMs })
    );
  };
  const controller = makeController({
    engine,
    logs,
    project,
    files: loaded.stackFiles,
    startedAt,
    env: io.env,
    loadOptions,
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
    flows?.close();
    await parts.close();
    if (error instanceof Deno.errors.AddrInUse && options.listen) {
      const where = options.listen.startsWith(":") ? `127.0.0.1${options.listen}` : options.listen;
      throw new OrchError(
        `cannot listen on ${where}: address in use (is another orch or program using it? ` +
          `pick another --listen port)`,
        { cause: error },
      );
    }
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
    for await (const slices of subscription.slices()) out.write(printer.slices(slices, multi));
  })();

  // Closes a TUI that holds the final table on screen.
  const closeTui = new AbortController();
  // Set when the stack ended by itself: the TUI then holds the final table until a key.
  let byItself: string | undefined;
  const hangup = (why: string) => {
    stoppedBySignal = true;
    terminalGone = true;
    toPane = toLog;
    closeTui.abort();
    stop(`${why}: stopping`);
  };
  onOutputGone = hangup;
  let signals = 0;
  let firstSignalAt = 0;
  const onSignal = (signal: Deno.Signal) => {
    // A lost terminal may send several: SIGHUP stops in order and never kills at once.
    if (signal === "SIGHUP") return hangup("SIGHUP");
    // The TUI shows the shutdown and closes with it; one holding the final table closes now.
    if (byItself !== undefined) closeTui.abort();
    // A terminal's Ctrl-C reaches the whole foreground group, and wrappers such as `deno task`
    // forward it as well: copies within a moment of the first are the same keypress.
    if (signals === 1 && performance.now() - firstSignalAt < SAME_SIGNAL_MS) return;
    if (signals === 0) firstSignalAt = performance.now();
    signals++;
    stoppedBySignal = true;
    if (signals === 1) stop(`${signal}: stopping (again to kill at once)`);
    else {
      say(`${signal}: killing every service now`);
      init.killedBy = signal;
      engine.kill();
    }
  };
  const handlers = SIGNALS.map((signal) => {
    const handler = () => onSignal(signal);
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  init.start({ engine, say, env: io.env });

  try {
    engine.start();
    if (flows) {
      flows.scheduler.start();
      const { executors } = flows.scheduler.status();
      say(
        `flows: ${Object.keys(loaded.flows.flows).length} on ${executors.max} executor(s), ` +
          `history in ${flows.store.path}`,
      );
    }
    init.replay(onSignal);
    const settled = engine.idle();
    if (tui) {
      // Nothing left to run (a stack of oneshots): stop what is blocked; the final table stays
      // on screen until a key is pressed. With flows, orch stays until it is stopped.
      void settled.then((outcome) => {
        if (engine.stopping || flows) return;
        byItself = `${outcome.code === 0 ? "✓" : "✗"} ${outcome.summary}`;
        void engine.shutdown({ onWait: say });
      });
      const { stats } = await runTui(
        localSource(engine, logs, { startedAt, captureDir: `${dir}/logs` }),
        openTerminal(),
        {
          ownsStack: true,
          ended: engine.stopped.then(() => byItself),
          onStop: () => {
            stoppedBySignal = true;
            stop("stopping (asked in the TUI)");
          },
          onHangup: hangup,
          signal: closeTui.signal,
        },
      );
      // With the terminal gone, the narration of the shutdown still goes to the persisted log.
      if (!terminalGone) {
        toPane = undefined;
        await engine.stopped;
        out.write(finalReport(engine, logs, style, services));
      }
      // For bench/tui_flood.ts: how many frames the run drew.
      const statsFile = io.env("ORCH_TUI_STATS");
      if (statsFile) await Deno.writeTextFile(statsFile, JSON.stringify(stats) + "\n");
    }
    // In the background, orch stays until `orch down` (or a required service fails); in the
    // foreground it also ends when nothing is left to run.
    const stopped = engine.stopped.then(() => undefined);
    let outcome = options.daemonChild || flows
      ? await stopped
      : await Promise.race([settled, stopped]);
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
    return init.exitStatus(outcome.code, stoppedBySignal);
  } finally {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
    init.close();
    await flows?.scheduler.stop();
    flows?.close();
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
