/**
 * Rebuilding whole lines from a byte stream: chunks are split on `\n` (a trailing `\r` is dropped),
 * very long lines are cut into pieces of at most `maxLine` characters, and the tail is kept until the
 * stream ends.
 *
 * @module
 */

/** How long a reader may keep the event loop before it lets timers run. */
const YIELD_EVERY_MS = 8;

/** Default longest line, in characters. */
export const MAX_LINE = 16 * 1024;

/**
 * Reads `stream` to its end (or until `signal` aborts: the reader is cancelled), calling `onLine`
 * for each whole line; a partial last line is emitted too.
 */
export async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
  options: { readonly maxLine?: number; readonly signal?: AbortSignal } = {},
): Promise<void> {
  const maxLine = options.maxLine ?? MAX_LINE;
  const decoder = new TextDecoder();
  let rest = "";
  const emit = (line: string) => {
    if (line.endsWith("\r")) line = line.slice(0, -1);
    onLine(line);
  };
  const drain = (text: string) => {
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      if (nl < 0) break;
      let line = text.slice(start, nl);
      while (line.length > maxLine) {
        emit(line.slice(0, maxLine));
        line = line.slice(maxLine);
      }
      emit(line);
      start = nl + 1;
    }
    let tail = text.slice(start);
    while (tail.length > maxLine) {
      emit(tail.slice(0, maxLine));
      tail = tail.slice(maxLine);
    }
    return tail;
  };
  // A pipe that always has data would keep this loop in microtasks and starve timers (probes,
  // the TUI's frames, stop timeouts): give the event loop a turn every few milliseconds.
  let turn = performance.now();
  const reader = stream.getReader();
  const cancel = () => void reader.cancel().catch(() => {});
  options.signal?.addEventListener("abort", cancel, { once: true });
  try {
    if (options.signal?.aborted) cancel();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest = drain(rest + decoder.decode(value, { stream: true }));
      if (performance.now() - turn > YIELD_EVERY_MS) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        turn = performance.now();
      }
    }
  } catch {
    // the pipe broke: keep what was read
  } finally {
    options.signal?.removeEventListener("abort", cancel);
    reader.releaseLock();
  }
  rest = drain(rest + decoder.decode());
  if (rest !== "") emit(rest);
}
