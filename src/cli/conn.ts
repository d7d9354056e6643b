/**
 * Helpers of the API server's connections: writes and reads under deadlines, a lingering close,
 * and reports of a listener's problems that do not flood orch's log.
 *
 * @module
 */

/** Whether an error is the process (or the system) being out of file descriptors. */
export function outOfDescriptors(error: unknown): boolean {
  const text = String((error as Error)?.message ?? error);
  return /os error 2[34]\b|too many open files/i.test(text);
}

/** Reports a kind of problem at once, then at most once per `windowMs` with a count. */
export function rateLimited(
  report: (message: string) => void,
  windowMs = 10_000,
): (message: string) => void {
  let last = -Infinity;
  let suppressed = 0;
  return (message) => {
    const now = performance.now();
    if (now - last < windowMs) {
      suppressed++;
      return;
    }
    const more = suppressed > 0 ? ` (${suppressed} more time(s) since the last report)` : "";
    suppressed = 0;
    last = now;
    report(message + more);
  };
}

/** Resolves after `ms`. */
export const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A timer that rejects with `error` unless cleared first. */
export function deadline(
  ms: number,
  error: () => Error,
): { promise: Promise<never>; clear(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
  });
  promise.catch(() => {});
  return { promise, clear: () => clearTimeout(timer) };
}

/** Closes, whether or not it still is open. */
export function closeQuietly(closable: { close(): void }): void {
  try {
    closable.close();
  } catch {
    // already closed
  }
}

/** Writes all of `bytes`, each write within `timeoutMs`. */
export async function writeAll(
  conn: Deno.Conn,
  bytes: Uint8Array,
  timeoutMs: number,
): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const limit = deadline(timeoutMs, () => new Error("the client stopped reading"));
    try {
      const write = conn.write(bytes.subarray(offset));
      write.catch(() => {});
      offset += await Promise.race([write, limit.promise]);
    } finally {
      limit.clear();
    }
  }
}

/** Half-closes, then discards what the client still sends (up to `ms`), so that it reads ours. */
export async function linger(conn: Deno.Conn, ms: number): Promise<void> {
  try {
    await conn.closeWrite();
  } catch {
    return;
  }
  const until = deadline(ms, () => new Error("linger"));
  const sink = new Uint8Array(64 * 1024);
  let discarded = 0;
  try {
    while (discarded < 4 << 20) {
      const read = conn.read(sink);
      read.catch(() => {});
      const n = await Promise.race([read, until.promise]);
      if (n === null) return;
      discarded += n;
    }
  } catch {
    // time is up, or the client is gone
  } finally {
    until.clear();
  }
}
