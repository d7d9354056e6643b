/**
 * When a run is over and how it ended, pure over the instances: over once nothing is active and
 * nothing waiting can still start; its outcome names what failed or stayed blocked.
 *
 * @module
 */
import type { Dependency, InstanceState } from "../domain/mod.ts";
import { type GateSnapshot, isStuck } from "./gating.ts";
import type { InstanceModel } from "./supervisor.ts";

/** How a finished run ended. */
export interface Outcome {
  /** 0 when everything completed or stopped cleanly. */
  readonly code: number;
  readonly summary: string;
}

/** One instance as the outcome reads it. */
export interface OutcomeView {
  readonly model: InstanceModel;
  /** `api`, `api.2`. */
  readonly id: string;
  readonly dependsOn: readonly Dependency[];
}

const ACTIVE: ReadonlySet<InstanceState> = new Set([
  "starting",
  "running",
  "ready",
  "stopping",
  "backoff",
]);

/**
 * Whether nothing is left to run: no instance is starting, running, stopping or backing off, and
 * every waiting one is stuck (what it waits on can no longer happen).
 */
export function runOver(instances: readonly OutcomeView[], snapshot: GateSnapshot): boolean {
  return instances.every((i) =>
    !ACTIVE.has(i.model.state) &&
    (i.model.state !== "waiting" || isStuck(i.dependsOn, snapshot))
  );
}

/** The outcome: the failure that ended the run, else every instance that failed or is still waiting. */
export function outcomeOf(failure: string | undefined, instances: readonly OutcomeView[]): Outcome {
  if (failure) return { code: 1, summary: failure };
  const bad = instances.filter((i) =>
    i.model.state === "failed" || (i.model.state === "waiting" && i.model.want === "up")
  );
  if (bad.length === 0) return { code: 0, summary: "all services completed" };
  return {
    code: 1,
    summary: bad.map((i) =>
      `${i.id} ${i.model.state === "waiting" ? "" : "failed: "}${i.model.message}`
    ).join("; "),
  };
}
