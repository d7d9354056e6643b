/**
 * The process runtime: each instance in its own cgroup where orch may make one (else tracked by its
 * process group and its marker), in its own session, stdin kept open, stopped by signalling all of
 * it and killing what is left after the timeout. A guard kills everything if orch dies.
 *
 * @module
 */
import { argvOf, type Command, nothingToRun, shortHash } from "../../domain/mod.ts";
import type {
  CommandResult,
  CommandRunner,
  Handle,
  InstanceSpec,
  Runtime,
} from "../../engine/mod.ts";
import { Guard } from "../guard.ts";
import { type CgroupUnit, createUnit, removeUnit } from "./cgroup.ts";
import {
  type CgroupSetup,
  type ContainmentChoice,
  detectCgroups,
  setupDirs,
} from "../cgroups/mod.ts";
import { ProcessHandle } from "./handle.ts";
import { UnitRecord } from "./leftovers.ts";
import { MARKER, newRunId, UNIT_MARKER } from "./markers.ts";
import { spawnProcess, withTerminal } from "./spawn.ts";
import { Tracker } from "./tracker.ts";
import { resolveIds } from "./users.ts";

export { findProgram, withTerminal } from "./spawn.ts";

/** Options of the process runtime. */
export interface ProcessRuntimeOptions {
  /** Marks every child (env `ORCH_PROJECT`) so that leftovers can be told apart. */
  readonly project: string;
  /** The state directory (`.orch/`): `pgids` and `cgroups` list what is live, for crash cleanup. */
  readonly stateDir?: string;
  /** What containment to use; `auto` (the default) takes the best the machine allows. */
  readonly containment?: ContainmentChoice;
  /** The guard to register with (shared with the Docker runtime); one of its own otherwise. */
  readonly guard?: Guard;
  /** Told what the runtime notices on its own (a guard replaced). */
  readonly onNote?: (text: string) => void;
  /**
   * The containment found for this run before the runtime was made ({@link detectContainment}
   * with the guard's run, its directories handed to the guard), else found now.
   */
  readonly setup?: Promise<CgroupSetup>;
}

/** Finds out the containment of run `run` of `project` (and makes its cgroup directories). */
export async function detectContainment(
  project: string,
  run: string,
  choice: ContainmentChoice,
): Promise<CgroupSetup> {
  return await detectCgroups(await shortHash(project), run, choice);
}

/** Unique across runs: a crashed run's cgroup of the same instance may not be removed yet. */
function unitName(instance: string, run: string, n: number): string {
  return `${instance.replace(/[^A-Za-z0-9_.-]/g, "_")}@${run}.${n}`;
}

/** Starts processes for instances. */
export class ProcessRuntime implements Runtime, CommandRunner {
  readonly #guard: Guard;
  readonly #ownGuard: boolean;
  readonly #record: UnitRecord | undefined;
  readonly #project: string;
  readonly #choice: ContainmentChoice;
  readonly #onNote: (text: string) => void;
  #setup: Promise<CgroupSetup> | undefined;
  readonly #early: Promise<CgroupSetup> | undefined;
  #seq = 0;
  readonly #warned = new Set<string>();

  constructor(options: ProcessRuntimeOptions) {
    this.#project = options.project;
    this.#choice = options.containment ?? "auto";
    this.#onNote = options.onNote ?? (() => {});
    this.#record = options.stateDir ? new UnitRecord(options.stateDir) : undefined;
    this.#ownGuard = !options.guard;
    this.#guard = options.guard ?? new Guard({ run: newRunId(), onNote: this.#onNote });
    this.#early = options.setup;
    // Found out now, while the rest of orch starts, rather than at the first spawn.
    this.containment().catch(() => {});
  }

  /** What containment this run has (decided once, from the first use). */
  containment(): Promise<CgroupSetup> {
    this.#setup ??= this.#early ??
      detectContainment(this.#project, this.#guard.run, this.#choice).then((setup) => {
        if (setup.track) this.#guard.removeAtEnd(setupDirs(setup));
        return setup;
      });
    return this.#setup;
  }

  /** The guard (for tests: its pid). */
  get guard(): Guard {
    return this.#guard;
  }

  async start(
    spec: InstanceSpec,
    options: { onNote?: (line: string) => void } = {},
  ): Promise<Handle> {
    const svc = spec.service;
    if (!svc.command) throw nothingToRun("command");
    const note = options.onNote ?? (() => {});
    const setup = await this.containment();
    const ids = resolveIds(svc.user, svc.group);
    const argv = svc.tty ? withTerminal(argvOf(svc.command)) : argvOf(svc.command);
    const name = unitName(spec.instance, this.#guard.run, this.#seq++);
    const marker = `${this.#guard.run}/${name}`;
    let cgroup: CgroupUnit | undefined;
    if (setup.track) {
      const made = createUnit(setup, name, svc.resources);
      cgroup = made.unit;
      for (const problem of made.problems) this.#warnOnce(svc.name, problem, note);
    } else if (svc.resources) {
      this.#warnOnce(svc.name, `resources are not applied: ${setup.summary}`, note);
    }
    const dirs = cgroup?.dirs ?? [];
    const key = this.#guard.add({ cgroups: dirs });
    const env = {
      ...(svc.tty && !spec.env.TERM ? { TERM: "xterm-256color" } : {}),
      ...spec.env,
      [MARKER]: this.#project,
      [UNIT_MARKER]: marker,
    };
    let child: Deno.ChildProcess;
    try {
      child = spawnProcess({
        argv,
        cwd: svc.workdir,
        env,
        ids,
        join: dirs.map((d) => `${d}/cgroup.procs`),
      });
    } catch (error) {
      this.#guard.remove(key);
      if (cgroup) removeUnit(cgroup);
      throw error;
    }
    const pid = child.pid;
    this.#guard.update(key, { pgid: pid, cgroups: dirs });
    this.#record?.add(pid, dirs);
    return new ProcessHandle(child, new Tracker(pid, marker, cgroup), () => {
      this.#guard.remove(key);
      this.#record?.remove(pid, dirs);
    }, note);
  }

  #warnOnce(service: string, text: string, note: (line: string) => void): void {
    const key = `${service}\0${text}`;
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    note(text);
  }

  async run(
    command: Command,
    options: {
      cwd: string;
      env: Readonly<Record<string, string>>;
      timeoutMs: number;
      signal?: AbortSignal;
    },
  ): Promise<CommandResult> {
    let child: Deno.ChildProcess;
    try {
      // Hooks and probes are short: no cgroup of their own (it would cost a directory a probe);
      // their group is killed when they end, and the marker sweep gets escapees when orch ends.
      child = spawnProcess({
        argv: argvOf(command),
        cwd: options.cwd,
        env: {
          ...options.env,
          [MARKER]: this.#project,
          [UNIT_MARKER]: `${this.#guard.run}/run`,
        },
      });
    } catch (error) {
      return { code: null, output: "", timedOut: false, error: (error as Error).message };
    }
    child.stdin.close().catch(() => {});
    const pid = child.pid;
    const key = this.#guard.add({ pgid: pid });
    let timedOut = false;
    const kill = () => {
      try {
        Deno.kill(-pid, "SIGKILL");
      } catch {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    options.signal?.addEventListener("abort", kill, { once: true });
    const decoder = new TextDecoder();
    let output = "";
    const readers = [child.stdout.getReader(), child.stderr.getReader()];
    const collecting = Promise.all(readers.map(async (reader) => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          if (output.length < 4096) output += decoder.decode(value, { stream: true });
        }
      } catch {
        // cancelled
      }
    }));
    // The output ends with the command, or soon after (a descendant may hold the pipes).
    const status = await child.status;
    kill();
    let grace: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      collecting,
      new Promise((resolve) => (grace = setTimeout(resolve, 1_000))),
    ]);
    clearTimeout(grace);
    for (const reader of readers) reader.cancel().catch(() => {});
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", kill);
    this.#guard.remove(key);
    return {
      code: status.signal ? null : status.code,
      output: output.trim().slice(0, 4096),
      timedOut,
    };
  }

  /** Ends the guard (if it is this runtime's own) and removes the project's cgroup directories. */
  async close(): Promise<void> {
    this.#record?.flush();
    if (this.#ownGuard) await this.#guard.close();
    const setup = await this.#setup;
    for (const dir of setup ? setupDirs(setup) : []) {
      try {
        Deno.removeSync(dir);
      } catch {
        // still in use (another project, or a unit that would not die)
      }
    }
  }
}
