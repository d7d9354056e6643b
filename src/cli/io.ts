/**
 * Where commands write: the real streams in `main.ts`, buffers in tests.
 *
 * @module
 */
import { isStreamGone } from "../domain/streams.ts";

/** Output sinks of a command run. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** Whether stdout is a terminal (colour, the TUI). */
  readonly isTerminal: boolean;
  readonly cwd: string;
  readonly env: (name: string) => string | undefined;
  /** Aborted once stdout is gone (its reader left): a command that follows a stream stops. */
  readonly outputGone?: AbortSignal;
}

const encoder = new TextEncoder();

/** The process's own stdout and stderr. A stream that is gone (EPIPE, EIO) is written no more. */
export function processIO(): CliIO {
  const outputGone = new AbortController();
  return {
    out: writer(Deno.stdout, () => outputGone.abort()),
    err: writer(Deno.stderr),
    isTerminal: Deno.stdout.isTerminal(),
    cwd: Deno.cwd(),
    env: (name) => Deno.env.get(name),
    outputGone: outputGone.signal,
  };
}

function writer(
  stream: { writeSync(p: Uint8Array): number },
  onGone?: () => void,
): (text: string) => void {
  let gone = false;
  return (text) => {
    if (gone) return;
    let bytes = encoder.encode(text);
    while (bytes.length > 0) {
      try {
        bytes = bytes.subarray(stream.writeSync(bytes));
      } catch (error) {
        if (!isStreamGone(error)) throw error;
        gone = true;
        onGone?.();
        return;
      }
    }
  };
}
