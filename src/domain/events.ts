/**
 * Everything that happens in a running orch, as one stream: the engine's events about services,
 * the scheduler's about flow runs and tasks, and the notices of a reader that fell behind. One
 * event bus carries them (the composition root owns it); the printer, the TUI, the API's
 * `/v1/events` and the metrics read it.
 *
 * @module
 */
import type { FlowEvent } from "./flow_events.ts";
import type { EngineEvent } from "./state.ts";

/**
 * A reader fell behind and `count` items were skipped for it: log lines (`of: "log"`; `consumer`
 * names the reader: `terminal`, `tui`, `api`), or events (`of: "events"`, consumer `events`). What
 * was skipped for one reader is still in the log files and reaches the others.
 */
export interface DroppedEvent {
  readonly type: "dropped";
  readonly ts: number;
  readonly of: "log" | "events";
  readonly consumer: string;
  readonly count: number;
}

/** One event of a running orch. */
export type OrchEvent = EngineEvent | FlowEvent | DroppedEvent;

/** Every `type` an {@link OrchEvent} can have, for documentation and SSE clients. */
export const ORCH_EVENT_TYPES: readonly OrchEvent["type"][] = [
  "state",
  "exited",
  "probe",
  "rollout",
  "stack",
  "run",
  "task",
  "dropped",
];

/** Whether an event is the engine's (about services and the stack). */
export function isEngineEvent(event: OrchEvent): event is EngineEvent {
  return event.type !== "run" && event.type !== "task" && event.type !== "dropped";
}
