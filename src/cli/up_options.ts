/**
 * The options of `orch up`, shared by the foreground run and the background start (`-d`).
 *
 * @module
 */
import type { UpInitOptions } from "./init.ts";
import type { InteropLoadOptions } from "./interop_commands.ts";

/** Options of `orch up`. */
export interface UpOptions extends InteropLoadOptions, UpInitOptions {
  readonly tui?: boolean;
  readonly json?: boolean;
  readonly color?: boolean;
  /** Print services' output as is, escape sequences included, even on a terminal. */
  readonly raw?: boolean;
  /** Run in the background and return once started. */
  readonly detach?: boolean;
  /** With `detach`: return once everything is ready, or fail naming what is not. */
  readonly wait?: boolean;
  readonly timeout?: string;
  /** Also serve the API on this TCP address, with tokens. */
  readonly listen?: string;
  /** Serve the web dashboard and print a one-time login URL. */
  readonly ui?: boolean;
  readonly token?: string;
  /** The flows' history database (default `.orch/history.db`). */
  readonly db?: string;
  /** Flow tasks running at once. */
  readonly maxExecutors?: string;
  /** Internal: this process is the background orch started by `up -d`. */
  readonly daemonChild?: boolean;
}
