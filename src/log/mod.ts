/**
 * Logs: the hub (records with sequence numbers, rings, the persisted NDJSON, per-service files,
 * bounded subscribers), flows' per-attempt logs, and reading what was persisted; the chunk path's
 * pieces (a batch's NDJSON and text, the buffer they are built in) for printers of the stream.
 *
 * @module
 */
export { type Batch, LineBatch, RecordBatch, type Source } from "./batch.ts";
export { ByteBuffer } from "./bytes.ts";
export { Broadcast, Channel, type ChannelOptions, type Subscription } from "./channel.ts";
export { type FileHealth, RotatingFile, type RotatingFileOptions } from "./file_sink.ts";
export { type AttemptLog, type AttemptRef, FlowLogs } from "./flow_logs.ts";
export { persistedFiles } from "./generations.ts";
export { recordsOf } from "./follow.ts";
export {
  type LogFilter,
  LogHub,
  type LogHubOptions,
  type LogSubscription,
  type PumpOptions,
  type Slice,
} from "./hub.ts";
export { readLines } from "./lines.ts";
export { encodeBatch } from "./ndjson.ts";
export { type Lines, LineSplitter, MAX_LINE } from "./split.ts";
export { appendText } from "./text.ts";
export {
  type Batches,
  type Chunks,
  readPersisted,
  readPersistedNdjson,
  type RecordBatches,
} from "./persisted.ts";
