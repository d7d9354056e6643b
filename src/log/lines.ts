/**
 * Whole lines of a byte stream as strings, for readers that want one call per line (the log hub
 * itself takes them a chunk at a time: split.ts). A trailing `\r` is dropped, very long lines are
 * cut into pieces of at most `maxLine` bytes, and the tail is kept until the stream ends.
 *
 * @module
 */
import { readChunks } from "./reader.ts";
import { type Lines, LineSplitter, MAX_LINE } from "./split.ts";

export { MAX_LINE };

// A BOM inside the stream is text: only the one opening it is dropped (by the splitter).
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Reads `stream` to its end (or until `signal` aborts: the reader is cancelled), calling `onLine`
 * for each whole line; a partial last line is emitted too.
 */
export async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
  options: { readonly maxLine?: number; readonly signal?: AbortSignal } = {},
): Promise<void> {
  const splitter = new LineSplitter(options.maxLine ?? MAX_LINE);
  const emit = (lines: Lines | undefined) => {
    if (!lines) return;
    for (let i = 0; i < lines.count; i++) {
      onLine(decoder.decode(lines.bytes.subarray(lines.starts[i], lines.ends[i])));
    }
  };
  await readChunks(stream, (chunk) => emit(splitter.push(chunk)), { signal: options.signal });
  emit(splitter.end());
}
