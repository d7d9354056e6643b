/**
 * What a trigger does given the flow's active runs: start a run, queue it, skip it (with the
 * reason), or replace the oldest active run. Pure.
 *
 * @module
 */
import type { Flow, TriggerKind } from "../domain/mod.ts";

/** The decision for one trigger. */
export type Admission =
  | { readonly action: "start" }
  | { readonly action: "queue" }
  | { readonly action: "skip"; readonly reason: string }
  /** Cancel run `victim`, and queue the new run first. */
  | { readonly action: "replace"; readonly victim: number };

/**
 * Decides for a trigger of `kind`, with `running` the ids of the flow's running runs (oldest
 * first) and `queued` how many wait. Catch-up runs always queue behind one another (unless the
 * flow allows overlap), so that `catchUp: all` runs every missed time.
 */
export function admit(
  flow: Pick<Flow, "overlap" | "maxActiveRuns">,
  running: readonly number[],
  queued: number,
  kind: TriggerKind,
): Admission {
  if (running.length < flow.maxActiveRuns && queued === 0) return { action: "start" };
  const policy = kind === "catchup" && flow.overlap !== "allow" ? "queue" : flow.overlap;
  switch (policy) {
    case "skip": {
      const which = running.length > 0
        ? `run ${running[0]} is still running`
        : `${queued} run(s) are queued`;
      return { action: "skip", reason: `overlap: ${which} (overlap policy skip)` };
    }
    case "queue":
    case "allow":
      return { action: "queue" };
    case "replace":
      return running.length > 0 ? { action: "replace", victim: running[0] } : { action: "queue" };
    default: {
      const never: never = policy;
      throw new Error(`unknown overlap policy ${never}`);
    }
  }
}
