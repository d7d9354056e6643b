/**
 * The events of flows: a run or a task changed state, on the same stream as the service engine's
 * events, and their one-line accounts for the merged stream.
 *
 * @module
 */
import type { RunStatus, RunTrigger, TaskExit, TaskFailure, TaskState } from "./flow.ts";

/**
 * Events of runs and tasks, on the same stream as the service engine's events: a run or a task
 * changed state. Task events carry what Petit's do: the duration when it ends, the error when it
 * fails, the attempt and the next time when it will be retried, what it waits for.
 */
export type FlowEvent =
  | {
    readonly type: "run";
    readonly ts: number;
    readonly flow: string;
    readonly run: number;
    readonly status: RunStatus;
    /** `undefined` for a new run. */
    readonly previous: RunStatus | undefined;
    readonly trigger: RunTrigger;
    readonly reason: string | undefined;
    /** The failed tasks, when the run ended. */
    readonly failures: readonly TaskFailure[];
  }
  | {
    readonly type: "task";
    readonly ts: number;
    readonly flow: string;
    readonly run: number;
    readonly task: string;
    readonly attempt: number;
    readonly state: TaskState;
    readonly previous: TaskState;
    readonly exit?: TaskExit;
    readonly error?: string;
    readonly durationMs?: number;
    readonly waitingFor?: string;
    readonly retryAt?: number;
  };

/** A one-line account of a flow event, for the merged stream. */
export function describeFlowEvent(event: FlowEvent): string {
  if (event.type === "run") {
    const why = event.reason ? `: ${event.reason}` : "";
    return `run ${event.run} ${event.status}${why}`;
  }
  const parts = [`${event.task}: ${event.state}`];
  if (event.attempt > 1) parts.push(`(attempt ${event.attempt})`);
  if (event.error) parts.push(`- ${event.error}`);
  if (event.waitingFor) parts.push(`- waiting for ${event.waitingFor}`);
  if (event.durationMs !== undefined) parts.push(`in ${event.durationMs}ms`);
  return `run ${event.run} ${parts.join(" ")}`;
}
