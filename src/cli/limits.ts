/**
 * The file-descriptor limit of orch itself: `orch up` raises the soft RLIMIT_NOFILE to the hard
 * one (services, pipes and API connections each hold descriptors; 1,024 runs out near 250
 * services). Through libc's setrlimit over FFI, else util-linux `prlimit`, else it says why not.
 *
 * @module
 */

/** The limit before and after, and why it could not be raised when it was not. */
export interface DescriptorLimit {
  readonly soft: number;
  readonly hard: number;
  /** Set when the soft limit stays below the hard one. */
  readonly note?: string;
}

const RLIMIT_NOFILE = Deno.build.os === "darwin" ? 8 : 7;
const LIBC = Deno.build.os === "darwin"
  ? ["libSystem.B.dylib"]
  : ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libc.so"];

const SYMBOLS = {
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
} as const;

/** Reads the limit from /proc (Linux). */
function fromProc(): { soft: number; hard: number } | undefined {
  try {
    const text = Deno.readTextFileSync("/proc/self/limits");
    const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
    if (!match) return undefined;
    const num = (v: string) => (v === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(v));
    return { soft: num(match[1]), hard: num(match[2]) };
  } catch {
    return undefined;
  }
}

function withLibc<T>(fn: (libc: Deno.DynamicLibrary<typeof SYMBOLS>) => T): T {
  let lastError: unknown;
  for (const name of LIBC) {
    let libc: Deno.DynamicLibrary<typeof SYMBOLS>;
    try {
      libc = Deno.dlopen(name, SYMBOLS);
    } catch (error) {
      lastError = error;
      continue;
    }
    try {
      return fn(libc);
    } finally {
      libc.close();
    }
  }
  throw lastError ?? new Error("no C library found");
}

/** Sets the soft limit to `soft` through setrlimit(2); returns the limit read back. */
function setByFfi(soft: number | undefined): { soft: number; hard: number } {
  return withLibc((libc) => {
    const limits = new BigUint64Array(2);
    const buffer = new Uint8Array(limits.buffer);
    if (libc.symbols.getrlimit(RLIMIT_NOFILE, buffer) !== 0) throw new Error("getrlimit failed");
    if (soft !== undefined) {
      limits[0] = BigInt(soft);
      if (libc.symbols.setrlimit(RLIMIT_NOFILE, buffer) !== 0) {
        throw new Error("setrlimit refused");
      }
      libc.symbols.getrlimit(RLIMIT_NOFILE, buffer);
    }
    const num = (
      v: bigint,
    ) => (v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v));
    return { soft: num(limits[0]), hard: num(limits[1]) };
  });
}

/** The limit as it is now. */
export function descriptorLimit(): { soft: number; hard: number } | undefined {
  const proc = fromProc();
  if (proc) return proc;
  try {
    return setByFfi(undefined);
  } catch {
    return undefined;
  }
}

/**
 * Raises the soft descriptor limit to the hard one (macOS: at most 10,240, what it allows a
 * process). Never throws: when neither way works, the result's `note` says why.
 */
export function raiseDescriptorLimit(): DescriptorLimit {
  const before = descriptorLimit();
  // Not readable (no permission for /proc or FFI): nothing can be done, and nothing to say.
  if (!before) return { soft: 1024, hard: 1024 };
  const target = Deno.build.os === "darwin" ? Math.min(before.hard, 10_240) : before.hard;
  if (before.soft >= target) return before;
  const reasons: string[] = [];
  try {
    const after = setByFfi(target);
    if (after.soft >= target) return after;
  } catch (error) {
    reasons.push(`setrlimit: ${(error as Error).message}`);
  }
  try {
    const out = new Deno.Command("prlimit", {
      args: ["--pid", String(Deno.pid), `--nofile=${target}:${before.hard}`],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
    const after = descriptorLimit();
    if (out.success && after && after.soft >= target) return after;
    reasons.push(`prlimit: ${new TextDecoder().decode(out.stderr).trim() || `exit ${out.code}`}`);
  } catch (error) {
    reasons.push(`prlimit: ${(error as Error).message}`);
  }
  return {
    ...before,
    note: `could not raise the file-descriptor limit from ${before.soft} to ${target} ` +
      `(${reasons.join("; ")}); a large stack may run out of descriptors`,
  };
}
