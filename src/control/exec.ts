/**
 * `exec` of the flows' control in this process: one command run as a run of the ad-hoc flow
 * `@exec` (the scheduler's `exec`), streamed back as it runs: the run, each line of its output,
 * then the run and its task as they ended. The output is followed from before the task can start
 * (the run is made and the subscription taken in one turn), and the stream ends only once every
 * line the task wrote has been handed on (its lines reach the log store before its run ends).
 *
 * @module
 */
import {
  ConflictError,
  EXEC_FLOW,
  EXEC_TASK,
  type RunRecord,
  type TaskRunRecord,
  UsageError,
} from "../domain/mod.ts";
import type { ExecEvent, ExecInput, ExecStream, TriggerOutcome } from "./flows.ts";
import { FOLLOW_CAPACITY } from "./logs.ts";
import type { LogStore } from "./ports.ts";

/** One command as the scheduler runs it (`src/schedule`'s ExecSpec). */
export interface ExecRunSpec {
  readonly argv: readonly string[];
  readonly workdir: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  readonly slots?: Readonly<Record<string, number>>;
}

/** What exec needs of the scheduler. */
export interface ExecRunner {
  exec(spec: ExecRunSpec): TriggerOutcome;
  wait(id: number): Promise<RunRecord>;
}

/** What exec needs of the history. */
export interface ExecHistory {
  run(id: number): RunRecord | undefined;
  tasks(runId: number): TaskRunRecord[];
}

/** A working directory as given: absolute, or relative to `dir`. */
function workdirOf(cwd: string | undefined, dir: string): string {
  if (cwd === undefined || cwd === "") return dir;
  if (cwd.includes("\0")) throw new UsageError("cwd: contains a NUL byte");
  return cwd.startsWith("/") ? cwd : `${dir.replace(/\/$/, "")}/${cwd}`;
}

/**
 * Runs `input` and streams it (see the module).
 *
 * @param dir The directory a command runs in when the input names none (the project's).
 */
export function startExec(
  input: ExecInput,
  parts: {
    readonly runner: ExecRunner;
    readonly history: ExecHistory;
    readonly logs: LogStore | undefined;
    readonly dir: string;
  },
): ExecStream {
  const { runner, history, logs } = parts;
  if (!logs) throw new ConflictError("this orch cannot stream a command's output (no log store)");
  const { run } = runner.exec({
    argv: input.command,
    workdir: workdirOf(input.cwd, parts.dir),
    ...(input.env ? { env: input.env } : {}),
    ...(input.timeoutMs !== undefined ? { timeoutMs: input.timeoutMs } : {}),
    ...(input.slots ? { slots: input.slots } : {}),
  });
  // The task starts on a later turn: nothing it writes can come before this subscription.
  const live = logs.subscribe(`exec ${run.id}`, {
    filter: { services: [EXEC_FLOW], run: run.id },
    capacity: FOLLOW_CAPACITY,
  });
  let closed = false;
  // Closing lets the subscription hand on what it holds, then end.
  void runner.wait(run.id).then(() => live.close(), () => live.close());
  async function* events(): AsyncGenerator<ExecEvent> {
    try {
      yield { type: "run", run };
      for await (const batch of live.batches()) {
        if (closed) return;
        yield { type: "output", records: batch };
      }
      if (closed) return;
      const ended = history.run(run.id) ?? run;
      const task = history.tasks(run.id).filter((t) => t.task === EXEC_TASK).at(-1);
      yield { type: "end", run: ended, ...(task ? { task } : {}) };
    } finally {
      live.close();
    }
  }
  const items = events();
  return {
    [Symbol.asyncIterator]: () => items,
    async *batches() {
      for await (const item of items) yield [item];
    },
    close() {
      closed = true;
      live.close();
    },
  };
}
