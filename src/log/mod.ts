/**
 * Logs: the hub (records with sequence numbers, rings, the persisted NDJSON, per-service files,
 * bounded subscribers), flows' per-attempt logs, and reading what was persisted.
 *
 * @module
 */
export { Broadcast, Channel, type ChannelOptions, type Subscription } from "./channel.ts";
export { type FileHealth, RotatingFile, type RotatingFileOptions } from "./file_sink.ts";
export { type AttemptLog, type AttemptRef, FlowLogs } from "./flow_logs.ts";
export { persistedFiles } from "./generations.ts";
export { type LogFilter, LogHub, type LogHubOptions, type LogSubscription } from "./hub.ts";
export { readLines } from "./lines.ts";
export {
  type Batches,
  type Chunks,
  readPersisted,
  readPersistedNdjson,
  type RecordBatches,
} from "./persisted.ts";
