/**
 * Telling a stream that has gone (a closed terminal, a pipe whose reader left) from other write
 * errors (a full disk), by the error's class name or errno code, as Deno reports them.
 *
 * @module
 */

const GONE = new Set(["EIO", "EPIPE", "ENXIO", "EBADF", "ECONNRESET", "ENOTCONN"]);

/**
 * Whether a write or read failed because the other end is gone for good: a hung-up terminal
 * (EIO, ENXIO), a closed pipe (EPIPE, `BrokenPipe`), a closed descriptor. A full disk is not.
 */
export function isStreamGone(error: unknown): boolean {
  const e = error as { name?: unknown; code?: unknown } | undefined;
  return e?.name === "BrokenPipe" || e?.name === "BadResource" || e?.name === "ConnectionReset" ||
    (typeof e?.code === "string" && GONE.has(e.code));
}
