/**
 * The service engine: the supervisor table, gating, the reconcile loop and rollouts, behind the
 * ports it declares (runtimes, command runners, probers, clocks, log sinks, the routing mesh).
 *
 * @module
 */
export { type ApplyResult, Engine, type EngineDeps, type Outcome } from "./engine.ts";
export * from "./ports.ts";
