/**
 * Whether a dependency is met, from its target's instances: `started` and `exists` (running,
 * ready or completed), `ready`, or `completed` (every instance), each `wait_after` after the
 * target started, became ready or completed. When it is not met, says why: a reason (data) and
 * the target's state or probe in words. Pure.
 *
 * @module
 */
import {
  type BlockedReason,
  type Dependency,
  describeDependencyWait,
  formatDuration,
  type Stack,
} from "../domain/mod.ts";
import type { InstanceModel } from "./supervisor.ts";

/** One instance of the dependency's target, as the check sees it. */
export interface TargetView {
  readonly model: InstanceModel;
  /** What its probes say, when it has probes running. */
  describeHealth?(): string;
  /** What it depends on itself (to tell whether it can still start). */
  readonly dependsOn?: readonly Dependency[];
}

/** The verdict on one dependency. */
export interface DependencyCheck {
  readonly ok: boolean;
  /** Why it is not met (any reason but a timeout, which is the gate's to decide). */
  readonly because?: Exclude<BlockedReason["because"], "timed-out">;
  /** The target's state or probe, in words. */
  readonly detail?: string;
  /** When a `wait_after` will have passed: check again then. */
  readonly retryAt?: number;
}

/** Checks `dep` against its target's instances at `now`. */
export function checkDependency(
  dep: Dependency,
  targets: readonly TargetView[],
  waitAfterMs: number,
  now: number,
): DependencyCheck {
  if (targets.length === 0) return { ok: false, because: "no-replicas" };
  let retryAt: number | undefined;
  const passes = (t: TargetView): boolean => {
    const m = t.model;
    // `since` of a completed instance is when it completed.
    const since = dep.require === "completed"
      ? (m.state === "completed" ? m.since : undefined)
      : dep.require === "ready"
      ? (m.state === "ready" ? m.readyAt ?? m.startedAt : undefined)
      : (m.state === "running" || m.state === "ready" || m.state === "completed"
        ? m.startedAt
        : undefined);
    if (since === undefined) return false;
    const at = since + waitAfterMs;
    if (at > now) {
      retryAt = retryAt === undefined ? at : Math.min(retryAt, at);
      return false;
    }
    return true;
  };
  const ok = dep.require === "completed" ? targets.every(passes) : targets.some(passes);
  if (ok) return { ok };
  const first = targets.find((t) => t.model.state !== "completed") ?? targets[0];
  const m = first.model;
  if (m.state === "failed") return { ok: false, because: "failed", detail: m.message, retryAt };
  if (m.state === "waiting" && m.blocked) {
    return { ok: false, because: "blocked", detail: describeDependencyWait(m.blocked), retryAt };
  }
  if (retryAt !== undefined) {
    return {
      ok: false,
      because: "wait-after",
      detail: `wait_after ${formatDuration(waitAfterMs)}`,
      retryAt,
    };
  }
  let detail: string;
  if (m.state === "running" && first.describeHealth) detail = first.describeHealth();
  else if (m.message) detail = `${m.state}: ${m.message}`;
  else detail = m.state;
  return { ok: false, because: "unmet", detail, retryAt };
}

/** The services that declared `restart: true` on `target`: they restart after it does. */
export function followersOf(stack: Stack, target: string): string[] {
  return Object.values(stack.services)
    .filter((svc) => svc.dependsOn.some((d) => d.target === target && d.restart))
    .map((svc) => svc.name);
}
