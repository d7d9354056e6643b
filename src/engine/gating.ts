/**
 * Dependency gating, pure over a snapshot of the stack's instances: whether a waiting instance may
 * start, is blocked (and why, as data), or has waited past a dependency's timeout; when to look
 * again; and whether it is stuck (waiting on something that can no longer happen).
 *
 * @module
 */
import type { BlockedReason, Dependency } from "../domain/mod.ts";
import { checkDependency, type TargetView } from "./dependencies.ts";

/** The stack as gating reads it, now. */
export interface GateSnapshot {
  /** The instances of a service: none when it has none, or does not exist. */
  instancesOf(service: string): readonly TargetView[];
  /** A service's `waitAfter` (0 when it does not exist). */
  waitAfterMs(service: string): number;
}

/** What a waiting instance does next. */
export type Verdict =
  | { readonly kind: "met" }
  | { readonly kind: "blocked"; readonly reason: BlockedReason }
  | { readonly kind: "timedOut"; readonly reason: BlockedReason };

/** The verdict, and when time alone could change it (`Infinity`: it cannot). */
export interface Gate {
  readonly verdict: Verdict;
  readonly retryAt: number;
}

/**
 * Gates an instance that has waited since `waitingSince` on `dependsOn`, at `now`. The first
 * dependency that is not met decides: past its timeout the instance fails, else it is blocked on
 * it. `retryAt` is the soonest a `waitAfter` passes or a timeout falls due.
 */
export function gate(
  dependsOn: readonly Dependency[],
  waitingSince: number,
  snapshot: GateSnapshot,
  now: number,
): Gate {
  let retryAt = Infinity;
  for (const dep of dependsOn) {
    const check = checkDependency(
      dep,
      snapshot.instancesOf(dep.target),
      snapshot.waitAfterMs(dep.target),
      now,
    );
    if (check.ok) continue;
    if (check.retryAt !== undefined) retryAt = Math.min(retryAt, check.retryAt);
    const base = { target: dep.target, condition: dep.require, detail: check.detail ?? "" };
    if (dep.timeoutMs === undefined) {
      return {
        verdict: { kind: "blocked", reason: { ...base, because: check.because! } },
        retryAt,
      };
    }
    const reason = { ...base, timeoutMs: dep.timeoutMs };
    if (now - waitingSince >= dep.timeoutMs) {
      return {
        verdict: { kind: "timedOut", reason: { ...reason, because: "timed-out" } },
        retryAt,
      };
    }
    retryAt = Math.min(retryAt, waitingSince + dep.timeoutMs);
    return {
      verdict: { kind: "blocked", reason: { ...reason, because: check.because! } },
      retryAt,
    };
  }
  return { verdict: { kind: "met" }, retryAt };
}

/**
 * Whether an instance waiting on `dependsOn` can never start: some dependency's every instance has
 * settled short of it (failed, stopped, never wanted, or stuck waiting itself).
 */
export function isStuck(dependsOn: readonly Dependency[], snapshot: GateSnapshot): boolean {
  return dependsOn.some((dep) =>
    snapshot.instancesOf(dep.target).every((t) => {
      const state = t.model.state;
      return state === "failed" || state === "stopped" || state === "pending" ||
        (state === "waiting" && isStuck(t.dependsOn ?? [], snapshot));
    })
  );
}
