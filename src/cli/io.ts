/**
 * Where commands read and write: the process's terminal, streams and environment in `main.ts`,
 * buffers in tests. Commands reach stdin, stdout and the environment only through this.
 *
 * @module
 */
import { isStreamGone } from "../domain/mod.ts";
import type { TerminalPort } from "../tui/mod.ts";

/** A stream written asynchronously (the merged log stream of `orch up`). */
export interface AsyncStream {
  write(bytes: Uint8Array): Promise<number>;
}

/** The I/O of a command run. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** Whether stdout is a terminal (colour, the TUI). */
  readonly isTerminal: boolean;
  /** Whether stdin is a terminal (the TUI reads keys from it). */
  readonly stdinIsTerminal: boolean;
  readonly cwd: string;
  readonly env: (name: string) => string | undefined;
  /** The whole environment (what services inherit). */
  readonly environment: () => Record<string, string>;
  /** Stdout for asynchronous writes that must not block (a flood of service output). */
  readonly stdout: AsyncStream;
  /** Takes over the terminal for the TUI (raw mode, the alternate screen). */
  readonly terminal: () => TerminalPort;
  /** Aborted once stdout is gone (its reader left): a command that follows a stream stops. */
  readonly outputGone?: AbortSignal;
  /** Whether stdout is /dev/null: what is written there is thrown away (no need to build it). */
  readonly outputDiscarded?: boolean;
}

const encoder = new TextEncoder();

/**
 * The process's own stdin, stdout, stderr and environment. A stream that is gone (EPIPE, EIO) is
 * written no more. `openTerminal` is the TUI's terminal (`src/tui/terminal.ts`), loaded by the
 * caller so that commands without a TUI do not load it.
 */
export function processIO(
  openTerminal: () => TerminalPort = () => {
    throw new Error("this command has no terminal to take over");
  },
): CliIO {
  const outputGone = new AbortController();
  return {
    out: writer(Deno.stdout, () => outputGone.abort()),
    err: writer(Deno.stderr),
    isTerminal: Deno.stdout.isTerminal(),
    stdinIsTerminal: Deno.stdin.isTerminal(),
    cwd: Deno.cwd(),
    env: (name) => Deno.env.get(name),
    environment: () => Deno.env.toObject(),
    stdout: Deno.stdout,
    terminal: openTerminal,
    outputGone: outputGone.signal,
    outputDiscarded: isDevNull("/proc/self/fd/1"),
  };
}

/** Whether the file descriptor link `fd` (`/proc/self/fd/N`) is /dev/null; false when unknown. */
export function isDevNull(fd: string): boolean {
  try {
    // Never a prompt: only asked when reading it is already granted.
    if (Deno.permissions.querySync({ name: "read", path: fd }).state !== "granted") return false;
    return Deno.readLinkSync(fd) === "/dev/null";
  } catch {
    return false;
  }
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
