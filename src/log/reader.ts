/**
 * Reading a stream in chunks into a buffer of its own that grows while the stream floods and
 * shrinks when it idles: an idle service's pending read holds 1 KiB rather than the 64 KiB Deno's
 * reader allocates for every read (200 pipes: 12.5 MiB). The reader gives the event loop a turn
 * every few milliseconds, so that a pipe that always has data never starves timers.
 *
 * @module
 */

/** How long a reader may keep the event loop before it lets timers run. */
const YIELD_EVERY_MS = 20;
const SMALLEST = 1024;
/** A pipe holds 64 KiB: no read returns more. */
const LARGEST = 64 * 1024;

let turn: Promise<void> | undefined;
/**
 * A turn of the event loop for the timers (a read of a pipe that always has data completes at
 * once, without one): a timer's turn costs a millisecond or more, so readers that flood together
 * share one.
 */
function timersTurn(): Promise<void> {
  return turn ??= new Promise((resolve) =>
    setTimeout(() => {
      turn = undefined;
      resolve();
    }, 0)
  );
}

/** The size of the next read's buffer, after one that returned `got` bytes into `size`. */
function nextSize(size: number, got: number): number {
  if (got === size) return Math.min(LARGEST, size * 2);
  if (got * 8 < size) return Math.max(SMALLEST, size / 2);
  return size;
}

/**
 * Reads `stream` to its end, or until `signal` aborts (the reader is cancelled), handing each
 * chunk to `onChunk`, which must copy what it keeps: the buffer is read into again.
 */
export async function readChunks(
  stream: ReadableStream<Uint8Array>,
  onChunk: (chunk: Uint8Array) => void,
  options: { readonly signal?: AbortSignal } = {},
): Promise<void> {
  let byob: ReadableStreamBYOBReader | undefined;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    byob = stream.getReader({ mode: "byob" });
  } catch {
    // not a byte stream: chunks as they come
    reader = stream.getReader();
  }
  const cancel = () => void (byob ?? reader)!.cancel().catch(() => {});
  options.signal?.addEventListener("abort", cancel, { once: true });
  let since = performance.now();
  let buffer = new ArrayBuffer(SMALLEST);
  try {
    if (options.signal?.aborted) cancel();
    for (;;) {
      let chunk: Uint8Array;
      if (byob) {
        const { value, done } = await byob.read(new Uint8Array(buffer));
        if (done || !value) break;
        chunk = value;
        buffer = value.buffer.byteLength === nextSize(value.buffer.byteLength, value.length)
          ? value.buffer as ArrayBuffer
          : new ArrayBuffer(nextSize(value.buffer.byteLength, value.length));
      } else {
        const { value, done } = await reader!.read();
        if (done) break;
        chunk = value;
      }
      onChunk(chunk);
      if (performance.now() - since > YIELD_EVERY_MS) {
        await timersTurn();
        since = performance.now();
      }
    }
  } catch {
    // the pipe broke: keep what was read
  } finally {
    options.signal?.removeEventListener("abort", cancel);
    (byob ?? reader)!.releaseLock();
  }
}
