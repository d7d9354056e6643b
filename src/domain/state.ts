/**
 * The observed state of one service instance (a replica), and the events the engine emits.
 *
 * @module
 */

/**
 * Lifecycle states of an instance:
 * - `pending`: not wanted yet (or never asked for).
 * - `waiting`: wanted, blocked on its dependencies.
 * - `starting`: pre-script or spawn under way.
 * - `running`: alive, not ready (probes not passing yet, or failing after having passed).
 * - `ready`: alive and ready; dependents may start.
 * - `stopping`: stop signal sent, waiting for the exit.
 * - `stopped`: not running, as wanted (or a clean exit that is not restarted).
 * - `completed`: a oneshot that succeeded.
 * - `backoff`: exited, waiting to be restarted.
 * - `failed`: gave up: restarts exhausted, oneshot failed, or a dependency timed out.
 */
export type InstanceState =
  | "pending"
  | "waiting"
  | "starting"
  | "running"
  | "ready"
  | "stopping"
  | "stopped"
  | "completed"
  | "backoff"
  | "failed";

/** Every state, in lifecycle order. */
export const INSTANCE_STATES: readonly InstanceState[] = [
  "pending",
  "waiting",
  "starting",
  "running",
  "ready",
  "stopping",
  "stopped",
  "completed",
  "backoff",
  "failed",
];

/** States in which the instance has a live process or container. */
export function isAlive(state: InstanceState): boolean {
  return state === "running" || state === "ready" || state === "stopping";
}

/** States that change no more without a new command. */
export function isSettled(state: InstanceState): boolean {
  return state === "stopped" || state === "completed" || state === "failed" ||
    state === "pending";
}

/** How an instance's process ended. */
export interface ExitStatus {
  /** Exit code, or null when killed by a signal. */
  readonly code: number | null;
  /** Signal name when killed by one. */
  readonly signal: string | null;
}

/** Describes an exit: `exit code 3`, `killed by SIGKILL`. */
export function describeExit(exit: ExitStatus): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

/** What a probe run found: passed, failed, or could not be run at all. */
export type ProbeOutcome = "ok" | "fail" | "error";

/** Events on the engine's stream, consumed by the log output, the TUI, the API and metrics. */
export type EngineEvent =
  | {
    readonly type: "state";
    readonly ts: number;
    readonly service: string;
    readonly replica: number;
    readonly state: InstanceState;
    readonly previous: InstanceState;
    readonly message: string;
  }
  | {
    readonly type: "exited";
    readonly ts: number;
    readonly service: string;
    readonly replica: number;
    readonly exit: ExitStatus;
    readonly uptimeMs: number;
  }
  | {
    readonly type: "probe";
    readonly ts: number;
    readonly service: string;
    readonly replica: number;
    readonly probe: string;
    readonly outcome: ProbeOutcome;
    readonly detail: string;
    readonly latencyMs: number;
  }
  | {
    readonly type: "dropped";
    readonly ts: number;
    readonly consumer: string;
    readonly count: number;
  }
  | {
    readonly type: "stack";
    readonly ts: number;
    readonly phase: "starting" | "running" | "stopping" | "stopped";
    readonly message: string;
  };
