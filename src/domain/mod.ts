/**
 * orch's vocabulary: names, the stack model, instance state and events, flows, logs, plans,
 * durations and the error classes. Every layer speaks it; it imports nothing.
 *
 * @module
 */
export * from "./cluster.ts";
export * from "./deferred.ts";
export * from "./duration.ts";
export * from "./errors.ts";
export * from "./escapes.ts";
export * from "./events.ts";
export * from "./expression.ts";
export * from "./flow.ts";
export * from "./flow_events.ts";
export * from "./graph.ts";
export * from "./instance.ts";
export * from "./log.ts";
export * from "./model.ts";
export * from "./plan.ts";
export * from "./quote.ts";
export * from "./state.ts";
export * from "./status.ts";
export * from "./streams.ts";
export * from "./suggest.ts";
