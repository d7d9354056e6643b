/**
 * Past then live: the records a log store keeps that match a query, then (following) the new ones,
 * without a gap or a duplicate between the two. The one place that merges them; the API serves it,
 * the TUI and the CLI read it through the control interface.
 *
 * @module
 */
import {
  fromNdjson,
  type LogQuery,
  type LogRecord,
  parseTimeAgo,
  toNdjson,
  UsageError,
} from "../domain/mod.ts";
import type { LogOptions, LogStream, Stream } from "./control.ts";
import type { LogStore, NdjsonChunks } from "./ports.ts";

const encoder = new TextEncoder();

/** The live queue of a reader that follows, unless given otherwise. */
export const FOLLOW_CAPACITY = 10_000;

/**
 * The kept records of `store` matching `query` (at most `tail`), then with `follow` the new ones
 * (`options.since` is the caller's to resolve into the query, see {@link sinceOf}).
 * The subscription is made before what is kept is captured, both in the same turn of the event
 * loop: no record can fall between them, and none is in both.
 */
export function pastThenLive(
  store: LogStore,
  query: LogQuery,
  options: LogOptions = {},
): LogStream {
  const live = options.follow
    ? store.subscribe(options.reader ?? "api", {
      filter: query,
      capacity: options.capacity ?? FOLLOW_CAPACITY,
    })
    : undefined;
  const past = store.queryNdjson(query, options.tail);
  return merged(past, live);
}

/**
 * `since` as a person writes it: a duration back from `now` (`10m`), an ISO time, or ms since the
 * epoch. @throws {UsageError} naming the value when it is none of these.
 */
export function sinceOf(value: string, now: number): number {
  const at = parseTimeAgo(value, now);
  if (at === undefined) {
    throw new UsageError(
      `since: "${value.slice(0, 80)}" is neither a duration (10m) nor a time (ISO 8601)`,
    );
  }
  return at;
}

/** Records of NDJSON chunks of whole lines (a line that does not parse is left out). */
function records(chunk: Uint8Array, decoder: TextDecoder): LogRecord[] {
  return decoder.decode(chunk).split("\n").flatMap((line) => {
    if (!line) return [];
    try {
      return [fromNdjson(line)];
    } catch {
      return [];
    }
  });
}

function merged(past: NdjsonChunks, live: Stream<LogRecord> | undefined): LogStream {
  const close = () => {
    past.close();
    live?.close();
  };
  async function* batches(): AsyncGenerator<readonly LogRecord[]> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of past) {
        const batch = records(chunk, decoder);
        if (batch.length > 0) yield batch;
      }
      if (live) yield* live.batches();
    } finally {
      close();
    }
  }
  async function* ndjson(): AsyncGenerator<Uint8Array> {
    try {
      yield* past;
      if (!live) return;
      for await (const batch of live.batches()) {
        let text = "";
        for (const record of batch) text += toNdjson(record) + "\n";
        if (text) yield encoder.encode(text);
      }
    } finally {
      close();
    }
  }
  return {
    batches,
    ndjson,
    close,
    async *[Symbol.asyncIterator]() {
      for await (const batch of batches()) yield* batch;
    },
  };
}
