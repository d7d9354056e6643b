/**
 * Restart delays: capped exponential backoff with jitter, so that many services crashing together
 * restart spread out instead of in a stampede.
 *
 * @module
 */
import type { Backoff } from "../domain/mod.ts";

/**
 * The delay before restart number `attempt` (0 for the first restart).
 *
 * The base delay is `min * factor^attempt`, capped at `max`; jitter draws the delay uniformly from
 * `base * (1 - jitter)` to `base * (1 + jitter)`, still capped at `max`. The first restart (any
 * jitter above 0) is drawn over its whole range instead, from `min` to `min * factor` (the second
 * delay): services that crashed together come back spread out from the first round on.
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
  const second = Math.min(policy.maxMs, policy.minMs * policy.factor);
  if (attempt <= 0 && policy.jitter > 0 && second > policy.minMs) {
    return Math.round(policy.minMs + random() * (second - policy.minMs));
  }
  const base = Math.min(policy.maxMs, policy.minMs * Math.pow(policy.factor, Math.max(0, attempt)));
  const spread = base * policy.jitter;
  const delay = base - spread + random() * 2 * spread;
  return Math.round(Math.min(policy.maxMs, Math.max(0, delay)));
}
