/**
 * Where commands write: the real streams in `main.ts`, buffers in tests.
 *
 * @module
 */

/** Output sinks of a command run. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** Whether stdout is a terminal (colour, the TUI). */
  readonly isTerminal: boolean;
  readonly cwd: string;
  readonly env: (name: string) => string | undefined;
}

const encoder = new TextEncoder();

/** The process's own stdout and stderr. */
export function processIO(): CliIO {
  return {
    out: (text) => writeAll(Deno.stdout, text),
    err: (text) => writeAll(Deno.stderr, text),
    isTerminal: Deno.stdout.isTerminal(),
    cwd: Deno.cwd(),
    env: (name) => Deno.env.get(name),
  };
}

function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) {
    try {
      bytes = bytes.subarray(stream.writeSync(bytes));
    } catch (error) {
      if (error instanceof Deno.errors.BrokenPipe) return;
      throw error;
    }
  }
}
