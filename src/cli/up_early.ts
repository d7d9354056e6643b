/**
 * What `orch up` does while its config loads (in the loader process, 40 ms or more for a changed
 * config): nothing of it depends on the config, only on the project directory, which the load
 * request gives. It claims the project (the run file, without the stack's name until the load
 * answers), registers the run, takes the lock, kills what a crashed orch left, and finds out the
 * containment (which makes this run's cgroup directories, handed to the guard, whose helper starts
 * then). A load that fails undoes it all: nothing of a run that never started stays behind (not
 * even `.orch/`, when the claim made it).
 *
 * @module
 */
import {
  type CgroupSetup,
  type ContainmentChoice,
  detectContainment,
  killLeftovers,
  newRunId,
  processStart,
  setupDirs,
} from "../runtime/process/mod.ts";
import { Guard } from "../runtime/mod.ts";
import { VERSION } from "../version.ts";
import { registerRun } from "./registry.ts";
import {
  claim,
  holdProjectLock,
  removeRunFiles,
  type RunFile,
  socketPathFor,
  stateDir,
} from "./state.ts";

/** A claimed project, ready for the stack. */
export interface Claimed {
  readonly socket: string;
  /** The run file as claimed: its stack and files come with the load. */
  readonly run: RunFile;
  /** The pids of an earlier orch's processes that were killed. */
  readonly leftovers: readonly number[];
  /** The guard of this run (its notes go to {@link EarlyRun.onNote} until orch's log exists). */
  readonly guard: Guard;
  /** This run's containment, its directories with the guard. */
  readonly setup: Promise<CgroupSetup>;
}

/** The claim under way. */
export interface EarlyRun {
  /** Resolves once the project is claimed and its leftovers are gone. */
  readonly ready: Promise<Claimed>;
  /** Where the guard's notes go (replace it once there is a log). */
  onNote: (text: string) => void;
  /** Undoes what was done: the run file, the registry entry, the guard and its directories. */
  undo(): Promise<void>;
}

/** Starts claiming `project` for a run of `up`, beside the config's load. */
export function claimEarly(
  project: string,
  options: {
    readonly env: (name: string) => string | undefined;
    readonly containment: ContainmentChoice;
    readonly startedAt: number;
  },
): EarlyRun {
  let claimedRun: RunFile | undefined;
  let guard: Guard | undefined;
  let detected: Promise<unknown> | undefined;
  /** Whether this claim made `.orch/` (an undo then removes it, if nothing else is in it). */
  let fresh = false;
  const early: EarlyRun = {
    onNote: (text) => console.error(`orch: ${text}`),
    ready: (async () => {
      fresh = !exists(stateDir(project));
      const socket = await socketPathFor(project, options.env);
      let run: RunFile = {
        pid: Deno.pid,
        socket,
        startedAt: options.startedAt,
        version: VERSION,
        stack: "",
        files: [],
        procStart: processStart(Deno.pid),
      };
      await claim(project, run);
      claimedRun = run;
      // Found from a directory above it too (`orch status` in the repository of examples/demo/).
      const registry = await registerRun(project, options.env);
      if (registry) claimedRun = run = { ...run, registry };
      holdProjectLock(project);
      const leftovers = await killLeftovers(stateDir(project), project);
      // After the leftovers: their cleanup removes the project's cgroup directories.
      const own = guard = new Guard({ run: newRunId(), onNote: (text) => early.onNote(text) });
      const setup = detectContainment(project, own.run, options.containment).then((setup) => {
        if (setup.track) own.removeAtEnd(setupDirs(setup));
        return setup;
      });
      detected = setup.catch(() => {}); // a spawn reports it
      return { socket, run, leftovers, guard: own, setup };
    })(),
    async undo() {
      await early.ready.catch(() => {});
      // Its directories are made by then, and the guard's helper removes them as it ends.
      await detected;
      await guard?.close();
      if (!claimedRun) return;
      removeRunFiles(project, claimedRun);
      if (fresh) {
        const dir = stateDir(project);
        for (const path of [`${dir}/logs`, `${dir}/orch.lock`, dir]) removeIfEmpty(path);
      }
    },
  };
  // Reported by whoever awaits it; until then not an unhandled rejection.
  early.ready.catch(() => {});
  return early;
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Removes a file, or a directory that is empty. */
function removeIfEmpty(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // not empty, or gone
  }
}
