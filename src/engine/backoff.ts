/**
 * Restart delays: capped exponential backoff with jitter, so that many services crashing together
 * restart spread out instead of in a stampede.
 *
 * @module
 */
import type { Backoff } from "../domain/model.ts";

/**
 * The delay before restart number `attempt` (0 for the first restart).
 *
 * The base delay is `min * factor^attempt`, capped at `max`; jitter draws the delay uniformly from
 * `base * (1 - jitter)` to `base * (1 + jitter)`, still capped at `max`.
 *
 * @param random A source of numbers in [0, 1); injectable for tests.
 * @example
 * ```ts
 * import { backoffDelay } from "./backoff.ts";
 * const policy = { minMs: 500, maxMs: 30_000, factor: 2, jitter: 0 };
 * backoffDelay(policy, 3, Math.random); // 4000
 * ```
 */
export function backoffDelay(policy: Backoff, attempt: number, random: () => number): number {
  const base = Math.min(policy.maxMs, policy.minMs * Math.pow(policy.factor, Math.max(0, attempt)));
  const spread = base * policy.jitter;
  const delay = base - spread + random() * 2 * spread;
  return Math.round(Math.min(policy.maxMs, Math.max(0, delay)));
}
