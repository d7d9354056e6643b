/**
 * Ad-hoc runs: one command run as a one-task flow that no project defines (`orch exec`,
 * Conducktor's `run`). The flow is {@link EXEC_FLOW}, a name no flow file can take (flow names are
 * letters, digits, `.`, `-` and `_`); its single task {@link EXEC_TASK} runs the command as given
 * (no `${...}` expansion), once (no retry), on the executors and pools' slots like any task. Each
 * exec is its own run: no overlap policy applies, and a paused scheduler does not hold it (it is
 * manual). A run an orch stop interrupts is not taken up again (see `recovery.ts`).
 *
 * @module
 */
import {
  ConflictError,
  EXEC_FLOW,
  EXEC_TASK,
  type Flow,
  type FlowTask,
  NotFoundError,
  type RunRecord,
  UsageError,
} from "../domain/mod.ts";
import type { RunPool } from "./pool.ts";
/** How many exec runs the history keeps (older ones are pruned, their logs removed). */
export const EXEC_RETENTION = 1000;

/** One command to run. */
export interface ExecSpec {
  /** The program and its arguments, as given (no shell, no expansion). */
  readonly argv: readonly string[];
  /** Absolute working directory. */
  readonly workdir: string;
  /** Set over orch's own environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Stop the command's process group after this long. */
  readonly timeoutMs?: number;
  /** Pool name -> slots the command holds while it runs. */
  readonly slots?: Readonly<Record<string, number>>;
}

/** The one-task flow that runs `spec`. */
export function execFlow(spec: ExecSpec): Flow {
  const task: FlowTask = {
    name: EXEC_TASK,
    command: { exec: [...spec.argv] },
    runtime: "process",
    image: undefined,
    executor: "local",
    env: { ...spec.env },
    workdir: spec.workdir,
    user: undefined,
    group: undefined,
    timeoutMs: spec.timeoutMs,
    stop: { signal: "SIGTERM", timeoutMs: 10_000 },
    retry: { attempts: 1, delayMs: 0, factor: 1, maxDelayMs: 0, onExitCodes: undefined },
    needs: [],
    slots: { ...spec.slots },
    upstream: [],
    condition: "none_failed",
    successCodes: [0],
    resources: undefined,
    literal: true,
  };
  return {
    name: EXEC_FLOW,
    file: "",
    description: "a command run with orch exec",
    schedules: [],
    timezone: undefined,
    events: [],
    after: [],
    onService: [],
    requires: [],
    catchUp: { mode: "none", windowMs: undefined },
    overlap: "allow",
    maxActiveRuns: Infinity,
    maxConcurrency: 1,
    retention: { days: undefined, count: EXEC_RETENTION },
    config: {},
    tasks: { [EXEC_TASK]: task },
  };
}

/** The command line as the history shows it (each word quoted when it needs to be). */
export function commandLine(argv: readonly string[]): string {
  return argv.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`))
    .join(" ");
}

/**
 * Starts a run of `spec` now (its task then waits for an executor and its slots like any other).
 *
 * @throws {UsageError} for an empty command or slots no pool can give.
 * @throws {ConflictError} while orch is stopping.
 */
export function beginExec(
  pool: RunPool,
  pools: Readonly<Record<string, number>>,
  spec: ExecSpec,
): { run: RunRecord; created: boolean } {
  if (spec.argv.length === 0 || spec.argv[0] === "") {
    throw new UsageError("exec: no command to run (orch exec -- CMD ARGS)");
  }
  for (const [name, n] of Object.entries(spec.slots ?? {})) {
    if (!Object.hasOwn(pools, name)) {
      const known = Object.keys(pools);
      throw new NotFoundError(
        `exec: no pool named ${JSON.stringify(name)} (${
          known.length ? `pools: ${known.join(", ")}` : "the flows declare no pools"
        })`,
      );
    }
    if (!Number.isInteger(n) || n < 1 || n > pools[name]) {
      throw new UsageError(`exec: ${n} slot(s) of pool ${name}: it has ${pools[name]}`);
    }
  }
  if (pool.closing) throw new ConflictError("cannot exec: orch is stopping");
  const { store, clock } = pool.deps;
  const now = clock.now();
  const result = store.createRun({
    flow: EXEC_FLOW,
    trigger: { kind: "manual", detail: `exec: ${commandLine(spec.argv)}` },
    payload: {},
    queuedAt: now,
    tasks: [EXEC_TASK],
    status: "running",
    startedAt: now,
  });
  pool.begin(execFlow(spec), result.run, undefined);
  return result;
}
