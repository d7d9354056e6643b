/**
 * `orch up`: load and check (up_prepare.ts), claim the project's `.orch/`, clean up after a crashed
 * run, put the engine, the flows, the event bus and the control API together, show the stack (the
 * TUI, or the merged stream), and stop in order on SIGINT, SIGTERM, SIGHUP or `orch down` (a
 * second signal kills at once; up_signals.ts, up_life.ts). `-d` hands the run to a background
 * orch (daemon.ts).
 *
 * @module
 */
import { EventCounters } from "../api/mod.ts";
import { localFlows } from "../control/mod.ts";
import { isEngineEvent, OrchError, serviceNamed } from "../domain/mod.ts";
import { projectOf } from "../config/cached/mod.ts";
import { parseContainment } from "../runtime/process/mod.ts";
import { assemble } from "./assemble.ts";
import { EventBus } from "./bus.ts";
import { requirePermission } from "./exit.ts";
import type { CliIO } from "./io.ts";
import { printMerged } from "./merged_stream.ts";
import { Narrator } from "./narrator.ts";
import { loadNeeds, requireAll, upNeeds } from "./permissions.ts";
import { AsyncWriter, LinePrinter, terminalCleaner } from "./printer.ts";
import { makeControl, serveApi } from "./serve.ts";
import { loadTokens, removeRunFiles, type RunFile, updateRunFile } from "./state.ts";
import { makeStyle } from "./style.ts";
import { openDashboard, projectDashboard } from "./ui.ts";
import { UpLife } from "./up_life.ts";
import type { UpOptions } from "./up_options.ts";
import { requestOf } from "./config_loader.ts";
import { claimEarly } from "./up_early.ts";
import { prepareUp } from "./up_prepare.ts";
import { UpSignals } from "./up_signals.ts";

export type { UpOptions };

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
  // Before the load, which may write .orch/cache: a run that cannot start writes nothing.
  requireAll("up", upNeeds());
  // The project is claimed while the config loads (up_early.ts); a load that fails undoes it.
  const startedAt = Date.now();
  const containment = parseContainment(io.env("ORCH_CONTAINMENT"));
  const claimedProject = projectOf(requestOf(io.cwd, files));
  const early = claimEarly(claimedProject, { env: io.env, containment, startedAt });
  let prepared, claimed;
  try {
    prepared = await prepareUp(io, files, options, {
      startedAt,
      containment,
      setup: async () => await (await early.ready).setup,
    });
    claimed = await early.ready;
    if (prepared.loaded.project !== claimedProject) {
      throw new Error(`loaded ${prepared.loaded.project}, claimed ${claimedProject}`);
    }
  } catch (error) {
    await early.undo();
    throw error;
  }
  const { loaded, dir, init, style, tui } = prepared;
  const { stack, project } = loaded;
  // The scheduler, the history database and the TUI load only for a stack that uses them.
  const flowing = prepared.hasFlows ? await import("./flows.ts") : undefined;

  // What orch says goes to the terminal; with the TUI (or once the terminal is gone), to the log.
  // A terminal or pipe that goes away is a hangup: the stack stops in order, as on SIGHUP.
  let onOutputGone = (_reason: string) => {};
  const out = new AsyncWriter(io.stdout, {
    onGone: (error) => onOutputGone(`stdout is gone (${error.message})`),
  });
  const printer = new LinePrinter(prepared.names, tui ? makeStyle(false) : style, {
    json: options.json,
    clean: terminalCleaner({ terminal: io.isTerminal, raw: options.raw, colors: style.enabled }),
  });
  const multi = (name: string) => (serviceNamed(stack, name)?.replicas ?? 1) > 1;
  const narrator = new Narrator(printer, out, multi);

  const { socket, leftovers } = claimed;
  const baseRun: RunFile = { ...claimed.run, stack: stack.name, files: loaded.files };
  await updateRunFile(project, baseRun);
  if (leftovers.length > 0) {
    narrator.say(
      `killed ${leftovers.length} process(es) left by an earlier orch that did not stop cleanly`,
    );
  }

  // One bus for everything that happens; its listeners see every event, in order.
  const bus = new EventBus();
  const counters = new EventCounters();
  bus.listen(counters.observe);
  bus.listen((event) => isEngineEvent(event) && init.observe(event));
  // The flows see the services through the engine's status and events.
  const serviceView = flowing && new flowing.EngineServices(() => engine.status());
  if (serviceView) bus.listen((event) => isEngineEvent(event) && serviceView.observe(event));
  bus.listen(narrator.event);
  const parts = await assemble(stack, {
    project,
    stateDir: dir,
    baseEnv: io.environment(),
    docker: flowing?.usesDocker(loaded.flows) ?? false,
    containment: prepared.containment,
    early: claimed,
    onDropped: (consumer, count) =>
      bus.publish({ type: "dropped", ts: Date.now(), of: "log", consumer, count }),
    emit: bus.publish,
  });
  const { engine, logs } = parts;
  early.onNote = (text) => logs.note("orch", 0, text, "warn");
  if (parts.docker) {
    try {
      const removed = await parts.docker.removeLeftovers();
      if (removed.length > 0) {
        narrator.say(
          `removed ${removed.length} container(s) left by an earlier orch: ${removed.join(", ")}`,
        );
      }
    } catch (error) {
      narrator.say(`docker: ${(error as Error).message}`);
    }
  }
  if (tui) narrator.toLog(logs);

  // The flows run beside the services, on the same log hub, runtimes and bus.
  let flows;
  try {
    flows = flowing
      ? flowing.openFlows(loaded.flows, {
        stateDir: dir,
        stack: stack.name,
        logs,
        runtimes: { process: parts.runtime, ...(parts.docker ? { docker: parts.docker } : {}) },
        emit: bus.publish,
        db: flowing.dbPath(options.db, io.cwd),
        maxExecutors: prepared.maxExecutors,
        services: serviceView,
        baseEnv: io.environment(),
      })
      : undefined;
  } catch (error) {
    removeRunFiles(project, baseRun);
    await parts.close();
    throw error;
  }

  const life = new UpLife({ engine, scheduler: flows?.scheduler, narrator, init, log: logs });
  onOutputGone = life.hangup;
  const control = makeControl({
    engine,
    logs,
    bus,
    project,
    files: loaded.stackFiles,
    startedAt: prepared.startedAt,
    env: io.env,
    loadOptions: prepared.loadOptions,
    shutdown: life.requested,
    ...(flows ? { flows: localFlows(flows.scheduler, flows.store, { logs, dir: project }) } : {}),
    flowNames: Object.keys(loaded.flows.flows),
  });
  const tokens = options.listen ? await loadTokens(project, options.token) : undefined;
  const dashboard = projectDashboard(project, options.token, (m) => logs.note("orch", 0, m));
  let server;
  try {
    server = await serveApi(control, {
      socket,
      listen: options.listen,
      tokens,
      counters,
      note: (message) => logs.note("orch", 0, message, "warn"),
      sites: dashboard,
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
  // Rewritten when it gained the address; in the background also as the sign, to the parent that
  // watches .orch/ (daemon.ts), that the API answers now.
  if (server.listen || options.daemonChild) await updateRunFile(project, run);
  if (server.listen) {
    narrator.say(`control API on http://${server.listen} (tokens in ${tokens!.file})`);
  }
  if (options.ui) await openDashboard(dashboard, narrator.say, io.err);

  // Without the TUI, the merged stream goes to the terminal (unless stdout is /dev/null: then
  // nothing reads it, and building 'service | line' for a flood would cost a tenth of orch's CPU).
  const printing = tui || io.outputDiscarded
    ? undefined
    : printMerged(logs, printer, out, { json: options.json, multi });
  using signals = new UpSignals(life).install();
  init.start({ engine, say: narrator.say, env: io.env });

  try {
    engine.start();
    if (flows) {
      flows.scheduler.start();
      const { executors } = flows.scheduler.status();
      narrator.say(
        `flows: ${Object.keys(loaded.flows.flows).length} on ${executors.max} executor(s), ` +
          `history in ${flows.store.path}`,
      );
    }
    init.replay(signals.handle);
    const settled = engine.idle();
    if (tui) {
      const { upTui } = await import("./up_tui.ts");
      await upTui({
        io,
        control,
        engine,
        life,
        narrator,
        out,
        style,
        names: prepared.names,
        captureDir: `${dir}/logs`,
        staysUp: flows !== undefined,
      }, settled);
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
      void engine.shutdown({ onWait: narrator.say });
    }
    await engine.stopped;
    const after = await engine.idle();
    if (!outcome || outcome.code === 0) outcome = after;
    if (outcome.code !== 0) narrator.say(style.red(outcome.summary));
    else if (!life.stoppedOnRequest) narrator.say(style.green(outcome.summary));
    return init.exitStatus(outcome.code, life.stoppedOnRequest);
  } finally {
    signals[Symbol.dispose]();
    init.close();
    await flows?.scheduler.stop();
    flows?.close();
    bus.close();
    logs.flush();
    printing?.close();
    await printing?.done;
    await parts.close();
    await server.close();
    removeRunFiles(project, run);
    await out.drain();
  }
}
