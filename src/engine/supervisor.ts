/**
 * The supervisor of one instance as a table: a closed set of states, a closed set of events, and a pure
 * `transition(model, event, ctx) -> { model, effects }`. The engine's loop performs the effects.
 *
 * What is wanted (`want`) is kept apart from what is observed (`state`).
 *
 * @module
 */
import {
  type BlockedReason,
  describeBlocked,
  describeExit,
  type ExitStatus,
  formatDuration,
  type InstanceState,
  type Kind,
  type RestartPolicy,
  type Service,
} from "../domain/mod.ts";
import { backoffDelay } from "./backoff.ts";

/** Everything the supervisor knows about one instance. */
export interface InstanceModel {
  readonly state: InstanceState;
  readonly want: "up" | "down";
  /** A stop under way is to be followed by a start: asked by a user, or after failed liveness. */
  readonly restartAfterStop: "user" | "unhealthy" | undefined;
  /** Restarts in the current crash streak; resets after a stable run. */
  readonly attempts: number;
  /** Restarts in total, for the status table. */
  readonly restarts: number;
  readonly startedAt: number | undefined;
  readonly readyAt: number | undefined;
  /** When the current state was entered. */
  readonly since: number;
  readonly message: string;
  /** Why it waits, or why it failed waiting (a dependency's timeout); the message in words. */
  readonly blocked: BlockedReason | undefined;
  readonly exit: ExitStatus | undefined;
}

/** A fresh instance, not yet wanted. */
export function initialModel(now: number): InstanceModel {
  return {
    state: "pending",
    want: "down",
    restartAfterStop: undefined,
    attempts: 0,
    restarts: 0,
    startedAt: undefined,
    readyAt: undefined,
    since: now,
    message: "",
    blocked: undefined,
    exit: undefined,
  };
}

/** Inputs of the table. */
export type SupervisorEvent =
  | { readonly type: "up" }
  | { readonly type: "down" }
  | { readonly type: "restart" }
  | { readonly type: "depsMet" }
  | { readonly type: "depsBlocked"; readonly reason: BlockedReason }
  | { readonly type: "depsTimedOut"; readonly reason: BlockedReason }
  | { readonly type: "spawned" }
  | { readonly type: "spawnFailed"; readonly reason: string }
  | { readonly type: "exited"; readonly exit: ExitStatus }
  | { readonly type: "healthy"; readonly detail: string }
  | { readonly type: "unhealthy"; readonly reason: string }
  | { readonly type: "probeNote"; readonly detail: string }
  | { readonly type: "backoffElapsed" };

/** Outputs of the table, performed by the engine. */
export type Effect =
  | { readonly type: "spawn" }
  | { readonly type: "stop" }
  | { readonly type: "startProbes" }
  | { readonly type: "stopProbes" }
  | { readonly type: "armBackoff"; readonly ms: number }
  | { readonly type: "cancelBackoff" }
  | { readonly type: "postScript" };

/** The service facts the table needs. */
export interface SupervisorContext {
  readonly now: number;
  readonly kind: Kind;
  readonly hasProbes: boolean;
  readonly restart: RestartPolicy;
  readonly successCodes: readonly number[];
  readonly random: () => number;
  /** What failing probes do after ready (default `restart`). */
  readonly onFailure?: "restart" | "unready";
  /** Whether the service waits for others (default true): what a waiting instance says. */
  readonly hasDependencies?: boolean;
}

/** The table's context for an instance of `svc` at `now`. */
export function contextOf(svc: Service, now: number, random: () => number): SupervisorContext {
  return {
    now,
    kind: svc.kind,
    hasProbes: svc.health !== undefined,
    restart: svc.restart,
    successCodes: svc.successCodes,
    random,
    onFailure: svc.health?.onFailure,
    hasDependencies: svc.dependsOn.length > 0,
  };
}

/** The result of one step. */
export interface Step {
  readonly model: InstanceModel;
  readonly effects: readonly Effect[];
}

const same = (model: InstanceModel): Step => ({ model, effects: [] });

/**
 * Enters `state` (or enters it again, with a new message): why the instance was blocked is
 * forgotten unless `patch` says it again.
 */
function enter(
  model: InstanceModel,
  state: InstanceState,
  now: number,
  patch: Partial<InstanceModel> = {},
): InstanceModel {
  return {
    ...model,
    blocked: undefined,
    ...patch,
    state,
    since: state === model.state ? model.since : now,
  };
}

/** After an exit nobody asked for: restart with backoff, or give up. */
function afterCrash(
  model: InstanceModel,
  exit: ExitStatus | undefined,
  reason: string,
  ctx: SupervisorContext,
): Step {
  const { restart, now } = ctx;
  const success = exit !== undefined && exit.code !== null && ctx.successCodes.includes(exit.code);
  const restartWanted = model.want === "up" && (
    restart.mode === "always" || (restart.mode === "on-failure" && !success)
  );
  if (ctx.kind === "oneshot" && success) {
    return same(enter(model, "completed", now, { message: reason, exit }));
  }
  if (!restartWanted) {
    return success
      ? same(enter(model, "stopped", now, { message: `exited (${reason})`, exit }))
      : same(enter(model, "failed", now, { message: reason, exit }));
  }
  const stable = model.startedAt !== undefined && now - model.startedAt >= restart.stableMs;
  const attempts = stable ? 0 : model.attempts;
  if (attempts >= restart.maxRetries) {
    return same(enter(model, "failed", now, {
      message: attempts === 0
        ? reason
        : `gave up after ${attempts} restart${attempts === 1 ? "" : "s"}: ${reason}`,
      exit,
      attempts,
    }));
  }
  const ms = backoffDelay(restart.backoff, attempts, ctx.random);
  return {
    model: enter(model, "backoff", now, {
      message: `${reason}; restarting in ${formatDuration(ms)}`,
      exit,
      attempts: attempts + 1,
      restarts: model.restarts + 1,
    }),
    effects: [{ type: "armBackoff", ms }],
  };
}

/**
 * One step of the supervisor.
 *
 * @param model The instance now.
 * @param event What happened.
 * @param ctx The service's facts and the time.
 * @returns The new model and the effects to perform, in order.
 */
export function transition(
  model: InstanceModel,
  event: SupervisorEvent,
  ctx: SupervisorContext,
): Step {
  const { now } = ctx;
  const s = model.state;
  switch (event.type) {
    case "up":
    case "restart": {
      const isRestart = event.type === "restart";
      const wanted = { ...model, want: "up" as const };
      if (s === "running" || s === "ready") {
        if (!isRestart) return same(wanted);
        return {
          model: enter(wanted, "stopping", now, {
            restartAfterStop: "user",
            restarts: model.restarts + 1,
            message: "restarting",
          }),
          effects: [{ type: "stopProbes" }, { type: "stop" }],
        };
      }
      if (s === "starting" || s === "stopping") {
        return same({
          ...wanted,
          restartAfterStop: isRestart || s === "stopping" ? "user" : model.restartAfterStop,
        });
      }
      if (s === "backoff" && !isRestart) return same(wanted);
      return {
        model: enter(wanted, "waiting", now, {
          attempts: 0,
          restartAfterStop: undefined,
          message: ctx.hasDependencies === false ? "waiting to start" : "waiting for dependencies",
          restarts: isRestart && s !== "pending" ? model.restarts + 1 : model.restarts,
        }),
        effects: s === "backoff" ? [{ type: "cancelBackoff" }] : [],
      };
    }
    // deno-lint-ignore no-fallthrough -- every inner case returns
    case "down": {
      const wanted = { ...model, want: "down" as const, restartAfterStop: undefined };
      switch (s) {
        case "running":
        case "ready":
          return {
            model: enter(wanted, "stopping", now, { message: "stopping" }),
            effects: [{ type: "stopProbes" }, { type: "stop" }],
          };
        case "waiting":
        case "pending":
          return same(enter(wanted, "stopped", now, { message: "stopped before it started" }));
        case "backoff":
          return {
            model: enter(wanted, "stopped", now, { message: "stopped" }),
            effects: [{ type: "cancelBackoff" }],
          };
        default:
          return same(wanted);
      }
    }
    case "depsMet":
      if (s !== "waiting" || model.want !== "up") return same(model);
      return {
        model: enter(model, "starting", now, { message: "starting" }),
        effects: [{ type: "spawn" }],
      };
    case "depsBlocked":
      return s === "waiting"
        ? same({ ...model, message: describeBlocked(event.reason), blocked: event.reason })
        : same(model);
    case "depsTimedOut":
      return s === "waiting"
        ? same(enter(model, "failed", now, {
          message: describeBlocked(event.reason),
          blocked: event.reason,
        }))
        : same(model);
    case "spawned": {
      if (s !== "starting") return same(model);
      const started = { ...model, startedAt: now, readyAt: undefined, exit: undefined };
      if (model.want === "down" || model.restartAfterStop) {
        return {
          model: enter(started, "stopping", now, { message: "stopping" }),
          effects: [{ type: "stop" }],
        };
      }
      if (ctx.kind === "oneshot") {
        return same(enter(started, "running", now, { message: "running" }));
      }
      if (ctx.kind === "service" && ctx.hasProbes) {
        return {
          model: enter(started, "running", now, { message: "waiting for probes" }),
          effects: [{ type: "startProbes" }],
        };
      }
      return {
        model: enter(started, "ready", now, { readyAt: now, message: "running" }),
        effects: ctx.hasProbes ? [{ type: "startProbes" }] : [],
      };
    }
    case "spawnFailed":
      if (s !== "starting") return same(model);
      if (model.want === "down") {
        return same(enter(model, "stopped", now, { message: `stopped (${event.reason})` }));
      }
      return afterCrash({ ...model, startedAt: undefined }, undefined, event.reason, ctx);
    case "exited": {
      if (s !== "running" && s !== "ready" && s !== "stopping") return same(model);
      const reason = describeExit(event.exit);
      const base = [{ type: "stopProbes" } as const, { type: "postScript" } as const];
      if (model.want === "down") {
        return {
          model: enter(model, "stopped", now, { message: "stopped", exit: event.exit }),
          effects: base,
        };
      }
      if (model.restartAfterStop === "user") {
        return {
          model: enter(model, "waiting", now, {
            restartAfterStop: undefined,
            attempts: 0,
            message: "restarting",
            exit: event.exit,
          }),
          effects: base,
        };
      }
      const why = model.restartAfterStop === "unhealthy" ? model.message : reason;
      const step = afterCrash({ ...model, restartAfterStop: undefined }, event.exit, why, ctx);
      const unhealthyRestart = model.restartAfterStop === "unhealthy" &&
        step.model.state === "stopped";
      return {
        model: unhealthyRestart ? enter(step.model, "failed", now) : step.model,
        effects: [...base, ...step.effects],
      };
    }
    case "healthy":
      if (s !== "running" || model.want !== "up") return same(model);
      return same(enter(model, "ready", now, { readyAt: now, message: event.detail }));
    case "unhealthy": {
      if (s !== "ready" || ctx.kind === "oneshot") return same(model);
      const message = `unready: ${event.reason}`;
      // Readiness only (or nothing could restart it): unready, probes still running, until they
      // pass again.
      if (ctx.onFailure === "unready" || ctx.restart.mode === "never") {
        return same(enter(model, "running", now, { message, readyAt: undefined }));
      }
      return {
        model: enter(model, "stopping", now, {
          message,
          readyAt: undefined,
          restartAfterStop: "unhealthy",
        }),
        effects: [{ type: "stopProbes" }, { type: "stop" }],
      };
    }
    case "probeNote":
      return s === "running" ? same({ ...model, message: event.detail }) : same(model);
    case "backoffElapsed":
      if (s !== "backoff" || model.want !== "up") return same(model);
      return same(enter(model, "waiting", now, { message: "restarting" }));
  }
}
