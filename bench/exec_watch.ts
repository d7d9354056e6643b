/**
 * When processes started running a given program, and when they exited, from the kernel's process
 * events (the netlink process connector, `NETLINK_CONNECTOR` / `CN_IDX_PROC`, through libc by FFI;
 * root only): every `exec` and `exit` on the machine comes with the kernel's monotonic timestamp,
 * so a scenario learns when the 100th service became `sleep MARKER` without polling `/proc`
 * (which, every 2 ms with 300 processes, took one of the two cores from the tools measured).
 *
 * A pid is watched once its command line is the program's (a predicate on its argv: `sleep`
 * itself, not a wrapper whose arguments mention the marker); the time it became so is its last
 * `exec` (a service's chain, `setsid` to `sh` to `sleep`, execs several times in one pid). The
 * command line is read when an `exec` arrives, which may already show a later exec: the later
 * event, still queued, then moves the time on, so a result is read only once the reader has passed
 * the moment the count was reached (an event after it, or a quiet 50 ms).
 *
 * @module
 */

const AF_NETLINK = 16;
const SOCK_DGRAM = 2;
const NETLINK_CONNECTOR = 11;
const CN_IDX_PROC = 1;
const CN_VAL_PROC = 1;
const PROC_CN_MCAST_LISTEN = 1;
const NLMSG_DONE = 3;
const PROC_EVENT_EXEC = 0x2;
const PROC_EVENT_EXIT = 0x80000000;
const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20;
const SO_RCVBUFFORCE = 33;

const CLOCK_MONOTONIC = 1;
// Offsets in a message: nlmsghdr (16 bytes), cn_msg (20), then proc_event.
const EVENT = 36;

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize", nonblocking: true },

  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
} as const;

/** Watches the machine's execs and exits for the processes that run one program. */
export interface ExecWatch {
  /** The kernel's monotonic clock, in ms: the events' clock. */
  readonly now: () => number;
  /**
   * Resolves with the time (ms, {@link now}'s clock) by which `count` processes ran the program
   * (the count-th one's last exec), once every event queued before has been read.
   */
  started(count: number, timeoutMs: number): Promise<number>;
  /** Resolves with the time of the last one's exit, once none is left. */
  gone(timeoutMs: number): Promise<number>;
  /** Stops watching (within 50 ms: the reader's wait for an event ends then). */
  close(): Promise<void>;
}

/**
 * Opens a watch for the processes whose argv `runs` accepts (`what` names them in errors), or
 * says why the kernel's events cannot be had.
 */
export function watchExecs(
  what: string,
  runs: (argv: readonly string[]) => boolean,
): ExecWatch | string {
  if (Deno.build.os !== "linux") return "process events are a Linux feature";
  if (Deno.uid() !== 0) return "the kernel's process events need root";
  let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    lib = Deno.dlopen("libc.so.6", SYMBOLS);
  } catch (error) {
    return `cannot open libc: ${(error as Error).message}`;
  }
  const c = lib.symbols;
  const fd = c.socket(AF_NETLINK, SOCK_DGRAM, NETLINK_CONNECTOR);
  if (fd < 0) {
    lib.close();
    return "no netlink process connector";
  }
  const int = (value: number) => new Uint8Array(new Int32Array([value]).buffer);
  // Room for tens of thousands of events: one lost would be a service never seen or a time too
  // early (the kernel drops what does not fit).
  c.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, int(64 << 20), 4);
  // recv returns every 50 ms without an event, so that a closed watch stops its reader.
  c.setsockopt(
    fd,
    SOL_SOCKET,
    SO_RCVTIMEO,
    new Uint8Array(new BigInt64Array([0n, 50_000n]).buffer),
    16,
  );
  const address = new DataView(new ArrayBuffer(12));
  address.setUint16(0, AF_NETLINK, true);
  address.setUint32(8, CN_IDX_PROC, true);
  const listen = new DataView(new ArrayBuffer(40));
  listen.setUint32(0, 40, true);
  listen.setUint16(4, NLMSG_DONE, true);
  listen.setUint32(12, Deno.pid, true);
  listen.setUint32(16, CN_IDX_PROC, true);
  listen.setUint32(20, CN_VAL_PROC, true);
  listen.setUint16(32, 4, true);
  listen.setUint32(36, PROC_CN_MCAST_LISTEN, true);
  if (
    c.bind(fd, new Uint8Array(address.buffer), 12) !== 0 ||
    Number(c.send(fd, new Uint8Array(listen.buffer), 40n, 0)) !== 40
  ) {
    c.close(fd);
    lib.close();
    return "cannot listen to the process connector";
  }
  const clock = new BigInt64Array(2);
  const now = () => {
    c.clock_gettime(CLOCK_MONOTONIC, clock);
    return Number(clock[0]) * 1000 + Number(clock[1]) / 1e6;
  };

  const lastExec = new Map<number, number>();
  const ours = new Set<number>();
  const exited = new Map<number, number>();
  let closed = false;
  let finished = Promise.resolve();

  /** The kernel time of the last event read, or of the last quiet spell's start. */
  let readTo = 0;
  let wake: () => void = () => {};
  const buffer = new Uint8Array(4096);
  const view = new DataView(buffer.buffer);
  const take = (length: number) => {
    if (length < EVENT + 24) return;
    const event = view.getUint32(EVENT, true);
    const at = Number(view.getBigUint64(EVENT + 8, true)) / 1e6;
    readTo = at;
    const pid = view.getUint32(EVENT + 20, true); // the tgid
    if (event === PROC_EVENT_EXEC && (ours.has(pid) || runs(argvOf(pid)))) {
      ours.add(pid);
      lastExec.set(pid, at);
    } else if (
      event === PROC_EVENT_EXIT && ours.has(pid) && view.getUint32(EVENT + 16, true) === pid
    ) {
      exited.set(pid, at);
    }
  };
  const reader = (async () => {
    while (!closed) {
      const asked = now();
      const length = Number(await c.recv(fd, buffer, BigInt(buffer.length), 0));
      if (closed) break;
      if (length > 0) take(length);
      else readTo = Math.max(readTo, asked); // nothing came since `asked`
      wake();
    }
  })();
  /** Waits until every event before this moment has been read. */
  const settled = (timeoutMs: number) => {
    const at = now();
    return until("the events to be read", () => readTo > at, timeoutMs);
  };
  const until = (what: string, done: () => boolean, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        wake = () => {};
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      wake = () => {
        if (!done()) return;
        clearTimeout(timer);
        wake = () => {};
        resolve();
      };
      wake();
    });
  return {
    now,
    async started(count, timeoutMs) {
      await until(`${count} processes of ${what}`, () => ours.size >= count, timeoutMs);
      await settled(5_000);
      return [...ours].map((pid) => lastExec.get(pid)!).sort((a, b) => a - b)[count - 1];
    },
    async gone(timeoutMs) {
      const left = () => [...ours].filter((pid) => !exited.has(pid));
      await until(`every process of ${what} to exit`, () => left().length === 0, timeoutMs)
        .catch((error) => {
          throw new Error(`${(error as Error).message} (${left().length} left)`);
        });
      return Math.max(...exited.values());
    },
    close() {
      if (!closed) {
        closed = true;
        finished = reader.finally(() => {
          c.close(fd);
          lib.close();
        });
      }
      return finished;
    },
  };
}

/** A process's argv ([] once it is gone). */
function argvOf(pid: number): string[] {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").slice(0, -1);
  } catch {
    return [];
  }
}
