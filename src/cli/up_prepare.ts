/**
 * What `orch up` does before it claims the project: load the stack and its flows, check it against
 * the machine (preflight, limits, the guard's curl, descriptors, an exposed listener), and decide
 * how it shows itself (the TUI or the merged stream, colour).
 *
 * @module
 */
import { maxExecutorsOf } from "./settings.ts";
import { preflight } from "../config/cached/mod.ts";
import type { Project } from "../config/mod.ts";
import { Guard } from "../runtime/mod.ts";
import { type CgroupSetup, type ContainmentChoice, limitsUnder } from "../runtime/process/mod.ts";
import { UpInit } from "./init.ts";
import { loadProjectFor, requestOf } from "./config_loader.ts";
import { loadOptionsOf, printWarnings } from "./load_options.ts";
import type { CliIO } from "./io.ts";
import { raiseDescriptorLimit } from "./limits.ts";
import { warnIfExposed } from "./serve.ts";
import { stateDir } from "./state.ts";
import { type Style, styleOf } from "./style.ts";
import type { UpOptions } from "./up_options.ts";

/** A loaded project, checked, and how `up` will show it. */
export interface PreparedUp {
  readonly loaded: Project;
  readonly loadOptions: ReturnType<typeof loadOptionsOf>;
  /** The project's `.orch/`. */
  readonly dir: string;
  readonly init: UpInit;
  readonly containment: ContainmentChoice;
  readonly maxExecutors: number | undefined;
  readonly hasFlows: boolean;
  /** The TUI takes the terminal (else the merged stream is printed). */
  readonly tui: boolean;
  /** The style of what `up` prints itself. */
  readonly style: Style;
  /** The names the printer lines up: services, and flows' tasks as `flow/task`. */
  readonly names: readonly string[];
  /** When `up` started (ms since the epoch). */
  readonly startedAt: number;
}

/** Loads and checks the project `up` runs; warnings go to stderr. */
export async function prepareUp(
  io: CliIO,
  files: readonly string[],
  options: UpOptions,
  run: {
    readonly startedAt: number;
    readonly containment: ContainmentChoice;
    /** The run's containment, for the limits it cannot apply. */
    readonly setup: () => Promise<CgroupSetup>;
  },
): Promise<PreparedUp> {
  const init = new UpInit(options);
  const { startedAt, containment } = run;
  const limit = raiseDescriptorLimit();
  const loadOptions = loadOptionsOf(options);
  // Through the config cache; a change is loaded in a short-lived process (config_loader.ts).
  const loaded = await loadProjectFor(requestOf(io.cwd, files, loadOptions), {
    env: io.env,
    separate: true,
  });
  // The flag, else the config's, else the environment's (ORCH_ or CDKTR_MAX_EXECUTORS).
  const maxExecutors = await maxExecutorsOf(io, options.maxExecutors, loaded.flows.maxExecutors);
  const { stack } = loaded;
  init.prepare(stack);
  const style = styleOf(io, options.color !== false && !options.json && !options.daemonChild);
  const tui = options.tui !== false && !options.json && !options.daemonChild && io.isTerminal &&
    io.stdinIsTerminal;
  printWarnings(io, loaded.warnings, style.yellow("warning"));
  const findings = [...await preflight(stack), ...await limitsUnder(stack, run.setup)];
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
  const flows = Object.values(loaded.flows.flows);
  return {
    loaded,
    loadOptions,
    dir: stateDir(loaded.project),
    init,
    containment,
    maxExecutors,
    hasFlows: flows.length > 0,
    tui,
    style,
    names: [
      ...Object.keys(stack.services),
      ...flows.flatMap((f) => Object.keys(f.tasks).map((t) => `${f.name}/${t}`)),
    ],
    startedAt,
  };
}
