/**
 * A CliIO for running commands in-process in tests: output to the given functions, no terminal,
 * the environment given (nothing of the test process's own unless asked for).
 *
 * @module
 */
import type { CliIO } from "../cli/mod.ts";

/** A CliIO writing to `out` and `err`, in `cwd`, with the environment `env`. */
export function testIO(options: {
  cwd: string;
  out: (text: string) => void;
  err?: (text: string) => void;
  env?: (name: string) => string | undefined;
}): CliIO {
  const env = options.env ?? (() => undefined);
  return {
    out: options.out,
    err: options.err ?? options.out,
    isTerminal: false,
    stdinIsTerminal: false,
    cwd: options.cwd,
    env,
    environment: () => ({}),
    stdout: {
      write: (bytes) => {
        options.out(new TextDecoder().decode(bytes));
        return Promise.resolve(bytes.length);
      },
    },
    terminal: () => {
      throw new Error("no terminal in this test");
    },
  };
}
