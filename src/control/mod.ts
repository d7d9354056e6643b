/**
 * The control interface: one way to drive a running stack, in this process or over HTTP. The API
 * handler serves it, the CLI, the TUI and the dashboard use it.
 *
 * @module
 */
export type {
  ApplyOutcome,
  Control,
  LogOptions,
  LogPersistence,
  LogStream,
  RunInfo,
  ServiceInfo,
  ServiceStatus,
  StackDocument,
  StackSource,
  StatusSnapshot,
  Stream,
} from "./control.ts";
export type {
  ExecEvent,
  ExecInput,
  FlowControl,
  FlowDetail,
  FlowSummary,
  FlowTaskInfo,
  RunCountRow,
  RunDetail,
  RunsPage,
  RunsQuery,
  SchedulerState,
  TriggerInput,
  TriggerOutcome,
} from "./flows.ts";
export { latestAttempts } from "./flows.ts";
export { type ExecRunSpec, startExec } from "./exec.ts";
export {
  type ExecParts,
  type FlowHistory,
  type FlowRunner,
  localFlows,
  noFlows,
  taskInfos,
} from "./flows_local.ts";
export { HttpFlows } from "./flows_http.ts";
export { ERROR_STATUS, type ErrorBody, errorFromResponse, type ErrorKind } from "./errors.ts";
export { HttpControl, type HttpTarget } from "./http.ts";
export { localControl, type LocalParts, type RunFacts } from "./local.ts";
export { FOLLOW_CAPACITY, pastThenLive, sinceOf } from "./logs.ts";
export type {
  EventFeed,
  LoadedStack,
  LogStore,
  NdjsonChunks,
  ServiceEngine,
  StackLoader,
} from "./ports.ts";
export { serviceStatus, statusSnapshot } from "./snapshot.ts";
