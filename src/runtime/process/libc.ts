/**
 * The two libc calls that PID 1 work needs and Deno does not offer: `waitpid` (to reap orphans)
 * and `prctl(PR_SET_CHILD_SUBREAPER)`. Loaded through FFI (`--allow-ffi`); when FFI is not
 * permitted or libc cannot be opened, `openLibc` says why instead of throwing.
 *
 * @module
 */

/** `waitpid`'s option: return at once when the child has not exited. */
export const WNOHANG = 1;
/** `prctl` option: orphaned descendants are re-parented to this process, not to init. */
const PR_SET_CHILD_SUBREAPER = 36;
const PR_GET_CHILD_SUBREAPER = 37;

const SYMBOLS = {
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
} as const;

/** What orch calls in libc. */
export interface Libc {
  /** `waitpid(pid, &status, options)`: the pid reaped, 0 if it has not exited, -1 on error. */
  waitpid(pid: number, options: number): { pid: number; status: number };
  /** Makes this process a child subreaper; false when the kernel refused. */
  setChildSubreaper(): boolean;
  /** Whether this process is a child subreaper. */
  isChildSubreaper(): boolean;
  close(): void;
}

/** libc, or why it could not be had. */
export type LibcResult = { readonly libc: Libc } | { readonly reason: string };

const LIBRARIES = ["libc.so.6", "libc.so"];

/** Opens libc through FFI. */
export function openLibc(): LibcResult {
  if (Deno.build.os !== "linux") {
    return { reason: `reaping and subreaping are Linux features (this is ${Deno.build.os})` };
  }
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    return { reason: "--allow-ffi is not granted" };
  }
  let lib: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;
  let failure = "";
  for (const name of LIBRARIES) {
    try {
      lib = Deno.dlopen(name, SYMBOLS);
      break;
    } catch (error) {
      failure ||= `${name}: ${(error as Error).message}`;
    }
  }
  if (!lib) return { reason: `cannot open libc (${failure})` };
  const symbols = lib.symbols;
  const status = new Int32Array(1);
  const flag = new Int32Array(1);
  return {
    libc: {
      waitpid(pid, options) {
        status[0] = 0;
        const reaped = symbols.waitpid(pid, status, options);
        return { pid: reaped, status: status[0] };
      },
      setChildSubreaper: () => symbols.prctl(PR_SET_CHILD_SUBREAPER, 1n, 0n, 0n, 0n) === 0,
      isChildSubreaper() {
        flag[0] = 0;
        const pointer = Deno.UnsafePointer.value(Deno.UnsafePointer.of(flag));
        return symbols.prctl(PR_GET_CHILD_SUBREAPER, BigInt(pointer), 0n, 0n, 0n) === 0 &&
          flag[0] === 1;
      },
      close: () => lib.close(),
    },
  };
}
