/**
 * The log path's WebAssembly module (src/log/log.wat): one instance, made at its first use from the
 * bytes src/log/wasm.gen.ts holds, and its memory, which grows to the largest piece of work it was
 * given (about a megabyte: callers give it bounded pieces) and stays.
 *
 * @module
 */
import { LOG_WASM } from "./wasm.gen.ts";

/** The module's exports. */
export interface LogWasm {
  readonly memory: WebAssembly.Memory;
  /** Where the last call stopped: the end of its records, or of the lines it split. */
  readonly at: WebAssembly.Global;
  /** The OR of the flags of the lines the last `split` found. */
  readonly all: WebAssembly.Global;
  encode(
    n: number,
    row: number,
    rowLength: number,
    first: number,
    last: number,
    level: number,
    levels: number,
    flags: number,
    starts: number,
    ends: number,
    input: number,
    end: number,
    endLength: number,
    out: number,
  ): number;
  split(
    input: number,
    from: number,
    stop: number,
    max: number,
    origin: number,
    starts: number,
    ends: number,
    flags: number,
  ): number;
}

/** The module's own bytes at the start of its memory (its tables); work goes after them. */
export const RESERVED = 512;
const PAGE = 65536;

let instance: LogWasm | undefined;

/** The module, with a memory of at least `size` bytes. */
export function logWasm(size: number): LogWasm {
  instance ??= new WebAssembly.Instance(
    new WebAssembly.Module(Uint8Array.fromBase64(LOG_WASM)),
  ).exports as unknown as LogWasm;
  const have = instance.memory.buffer.byteLength;
  if (size > have) instance.memory.grow(Math.ceil((size - have) / PAGE));
  return instance;
}

/** `n` rounded up to a multiple of 4 (for 32-bit arrays in the memory). */
export const align4 = (n: number): number => (n + 3) & ~3;
