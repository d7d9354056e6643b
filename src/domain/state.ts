/**
 * The observed state of one service instance (a replica), and the events the engine emits.
 *
 * @module
 */
import { formatDuration } from "./duration.ts";
import type { Requirement } from "./model.ts";

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
  /** The kernel's OOM killer killed a process of the instance (at its memory limit). */
  readonly oomKilled?: boolean;
}

/** Describes an exit: `exit code 3`, `killed by SIGKILL`, `killed by SIGKILL (out of memory)`. */
export function describeExit(exit: ExitStatus): string {
  const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
  return exit.oomKilled ? `${how} (out of memory)` : how;
}

/** What a probe run found: passed, failed, or could not be run at all. */
export type ProbeOutcome = "ok" | "fail" | "error";

/**
 * Events on the engine's stream, published on orch's event bus (with flows' events and drop
 * notices, see `events.ts`) for the log output, the TUI, the API and metrics.
 */
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
    readonly type: "rollout";
    readonly ts: number;
    readonly service: string;
    readonly phase: RolloutPhase;
    readonly message: string;
  }
  | {
    readonly type: "stack";
    readonly ts: number;
    readonly phase: "starting" | "running" | "stopping" | "stopped";
    readonly message: string;
  };

/** Resource use of an instance's processes (its whole process group) or container. */
export interface Usage {
  /** CPU time used, user plus system, in seconds. */
  readonly cpuSeconds: number;
  /** Resident memory, in bytes. */
  readonly rssBytes: number;
}

/** The last result of one probe of an instance. */
export interface ProbeSnapshot {
  readonly outcome: ProbeOutcome;
  readonly detail: string;
  readonly latencyMs: number;
  readonly ts: number;
}

/** Why a waiting instance cannot start yet. */
export interface BlockedReason {
  /** The dependency's service. */
  readonly target: string;
  /** What it waits for. */
  readonly condition: Requirement;
  /**
   * `failed`: the target failed; `blocked`: the target waits on its own dependencies; `unmet`: the
   * target is not there yet (`detail` says what it is); `no-replicas`: the target has no instance;
   * `wait-after`: the target got there, its `waitAfter` has not passed; `timed-out`: the
   * dependency's timeout passed (the instance failed).
   */
  readonly because: "failed" | "blocked" | "unmet" | "no-replicas" | "wait-after" | "timed-out";
  /** The target's state or probe, in words. */
  readonly detail: string;
  /** The dependency's timeout, when it has one. */
  readonly timeoutMs?: number;
}

/** Every reason a wait can have, for schemas and documentation. */
export const BLOCKED_BECAUSE: readonly BlockedReason["because"][] = [
  "failed",
  "blocked",
  "unmet",
  "no-replicas",
  "wait-after",
  "timed-out",
];

/**
 * The wait on a dependency in words, without the `blocked: ` of a waiting instance's message:
 * `dependency db not ready (timeout 1m, probe tcp: connection refused)`, or after a timeout
 * `dependency db not ready after 1m (probe tcp: connection refused)`.
 */
export function describeDependencyWait(reason: BlockedReason): string {
  const { target, condition, because, detail, timeoutMs } = reason;
  if (because === "timed-out") {
    const after = timeoutMs !== undefined ? ` after ${formatDuration(timeoutMs)}` : "";
    return `dependency ${target} not ${condition}${after}${detail ? ` (${detail})` : ""}`;
  }
  const what = because === "failed" || because === "blocked"
    ? because
    : because === "no-replicas"
    ? "has no replicas"
    : `not ${condition}`;
  const extras = [timeoutMs !== undefined ? `timeout ${formatDuration(timeoutMs)}` : "", detail]
    .filter(Boolean).join(", ");
  return `dependency ${target} ${what}${extras ? ` (${extras})` : ""}`;
}

/**
 * A blocked instance's message: `blocked: dependency db not ready (timeout 1m, probe tcp:
 * connection refused)`; a timed-out one's is the failure, `dependency db not ready after 1m (...)`.
 */
export function describeBlocked(reason: BlockedReason): string {
  const words = describeDependencyWait(reason);
  return reason.because === "timed-out" ? words : `blocked: ${words}`;
}

/** A service's `logFile` while writing it fails: where, why, and how many lines it missed. */
export interface LogFileProblem {
  readonly path: string;
  readonly error: string;
  readonly lostRecords: number;
}

/** A read-only view of one instance, for status output, the API and the TUI. */
export interface InstanceStatus {
  readonly service: string;
  readonly replica: number;
  /** `api` for a single instance, `api.2` for a replica. */
  readonly id: string;
  readonly state: InstanceState;
  readonly want: "up" | "down";
  readonly pid: number | undefined;
  readonly restarts: number;
  readonly startedAt: number | undefined;
  readonly readyAt: number | undefined;
  /** When the instance entered its current state. */
  readonly since: number;
  readonly message: string;
  /**
   * Why it waits (state `waiting`), or why it failed waiting (state `failed`, `because:
   * "timed-out"`); the message says the same in words.
   */
  readonly blocked?: BlockedReason;
  /** Set while the service's `logFile` cannot be written (its lines are still in orch's log). */
  readonly logFile?: LogFileProblem;
  /** Last result of each probe that ran. */
  readonly probes: Readonly<Record<string, ProbeSnapshot>>;
  /** Filled in when asked for (it reads /proc or the engine's stats). */
  readonly usage?: Usage;
}

/** What a rolling update or a recreate reports as it goes. */
export type RolloutPhase = "started" | "progress" | "done" | "failed" | "rolledBack";
