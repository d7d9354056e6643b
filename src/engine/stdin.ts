/**
 * Writing to an instance's stdin without blocking forever on one that does not read it: a write
 * waits at most {@link SEND_TIMEOUT_MS}, and at most {@link SEND_MAX_PENDING} bytes may wait for an
 * instance at once; past either, the caller gets an error naming the instance. A write that timed
 * out is not taken back: it still completes if the instance reads later, and counts as pending.
 *
 * @module
 */
import { ConflictError, formatDuration, UsageError } from "../domain/mod.ts";
import type { Clock, Handle } from "./ports.ts";

/** How long a send waits for the instance to take it. */
export const SEND_TIMEOUT_MS = 5_000;
/** How much may wait for one instance (and the most one send may carry). */
export const SEND_MAX_PENDING = 64 * 1024;

/** What an instance has been sent and not yet taken. */
export interface StdinState {
  pending: number;
}

const kib = (bytes: number) => `${Math.ceil(bytes / 1024)} KiB`;

/**
 * Writes `data` to `handle`'s stdin, within the bounds.
 *
 * @throws {UsageError} when `data` alone is over the size bound.
 * @throws {ConflictError} when the instance does not take it (`api is not reading its stdin (64 KiB
 *   pending after 5s)`).
 */
export function writeBounded(
  handle: Handle,
  data: Uint8Array,
  state: StdinState,
  id: string,
  clock: Clock,
): Promise<void> {
  if (data.length > SEND_MAX_PENDING) {
    return Promise.reject(
      new UsageError(`a send carries at most ${kib(SEND_MAX_PENDING)}, not ${kib(data.length)}`),
    );
  }
  const blocked = (after: string) =>
    new ConflictError(`${id} is not reading its stdin (${kib(state.pending)} pending${after})`);
  if (state.pending + data.length > SEND_MAX_PENDING) return Promise.reject(blocked(""));
  state.pending += data.length;
  const written = handle.write(data).finally(() => (state.pending -= data.length));
  return new Promise((resolve, reject) => {
    const cancel = clock.setTimer(
      SEND_TIMEOUT_MS,
      () => reject(blocked(` after ${formatDuration(SEND_TIMEOUT_MS)}`)),
    );
    written.then(() => (cancel(), resolve()), (error) => (cancel(), reject(error)));
  });
}

/** One instance a line is sent to. */
export interface Recipient {
  readonly handle: Handle;
  readonly stdin: StdinState;
  /** `api.1`, for the error. */
  readonly id: string;
}

/**
 * Sends `text` as one line (a newline is added unless it ends with one) to every recipient, each
 * within the bounds of {@link writeBounded}; resolves with how many took it.
 */
export async function sendLine(
  recipients: readonly Recipient[],
  text: string,
  clock: Clock,
): Promise<number> {
  const data = new TextEncoder().encode(text.endsWith("\n") ? text : `${text}\n`);
  await Promise.all(recipients.map((r) => writeBounded(r.handle, data, r.stdin, r.id, clock)));
  return recipients.length;
}
