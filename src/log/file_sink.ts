/**
 * Append-only files with batched writes and size-based rotation: `name` -> `name.1` -> ... -> dropped.
 *
 * A write that fails (a full disk, a quota) loses whole records, never part of one: after a short
 * write the file is cut back to the last complete line. The file counts what it lost, says once
 * that it is failing, keeps trying on later flushes, and says how much was lost when a write
 * succeeds again. Rotation counts only bytes that were written.
 *
 * @module
 */

import { ByteBuffer } from "./bytes.ts";

/** Bytes buffered before a write, unless the event loop comes round first. */
const FLUSH_AT = 1 << 20;
/**
 * A flush that wrote less than this since the one before is no flood: the buffers go back to
 * their small size then (or a second after the last flood's flush), not between a flood's reads,
 * where growing them back to a megabyte again each time cost a twentieth of the CPU of a flood.
 */
const QUIET_BELOW = 1 << 16;
const NEWLINE = 10;

/** Options of a rotating file. */
export interface RotatingFileOptions {
  /** Rotate when the file would grow past this many bytes. */
  readonly maxBytes: number;
  /** How many rotated files to keep. */
  readonly keep: number;
}

/** What a rotating file reports about failing writes. */
export interface FileFailureListener {
  /** Writing started to fail: records are being lost from now on. */
  failing(error: Error): void;
  /** A write succeeded again after failing; `lost` records were lost in between. */
  resumed(lost: number): void;
}

/** Whether a file's writes succeed, and how many records it lost. */
export interface FileHealth {
  readonly path: string;
  /** The last write failed. */
  readonly failing: boolean;
  /** Records (lines) lost since the file was opened. */
  readonly lostRecords: number;
  /** Why the last failing write failed. */
  readonly error?: string;
}

/** A file written in batches, rotated by size. Writes are synchronous; a failed one is counted. */
export class RotatingFile {
  readonly path: string;
  readonly #options: RotatingFileOptions;
  readonly #listener: FileFailureListener | undefined;
  #file: Deno.FsFile | undefined;
  /** Bytes in the file: only what was written. */
  #size = 0;
  /** What is waiting to be written: whole records only. */
  #pending = new ByteBuffer(1024);
  /** The other buffer: written from while records that come meanwhile go to the pending one. */
  #spare = new ByteBuffer(1024);
  #lines = 0;
  #scheduled = false;
  /** Bytes written since the last flush. */
  #sinceFlush = 0;
  #shrinkTimer: ReturnType<typeof setTimeout> | undefined;
  #failing = false;
  #error: string | undefined;
  #lost = 0;
  #lostWhileFailing = 0;
  /** The size to cut the file back to before anything more is written. */
  #cutTo: number | undefined;

  constructor(path: string, options: RotatingFileOptions, listener?: FileFailureListener) {
    this.path = path;
    this.#options = options;
    this.#listener = listener;
  }

  /** Whether writes succeed, and what was lost. */
  get health(): FileHealth {
    return {
      path: this.path,
      failing: this.#failing,
      lostRecords: this.#lost,
      ...(this.#error !== undefined ? { error: this.#error } : {}),
    };
  }

  #open(): Deno.FsFile {
    if (this.#file) return this.#file;
    const dir = this.path.slice(0, this.path.lastIndexOf("/"));
    if (dir) Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Logs hold whatever services print: readable by orch's user only.
    const file = Deno.openSync(this.path, { append: true, create: true, mode: 0o600 });
    try {
      this.#size = file.statSync().size;
    } catch (error) {
      file.close();
      throw error;
    }
    return this.#file = file;
  }

  /**
   * Opens the file now (else the first write does), so that one that cannot be opened is reported
   * at once, as a failing write that lost nothing yet; later writes try again.
   */
  open(): void {
    try {
      this.#open();
    } catch (error) {
      this.#failed(error as Error, 0);
    }
  }

  /** Appends one line (a newline is added). */
  writeLine(line: string): void {
    this.#pending.appendText(line);
    this.#pending.ensure(1);
    this.#pending.bytes[this.#pending.length++] = NEWLINE;
    this.wrote(1);
  }

  /** Appends `records` whole lines given as bytes, each ending in a newline. */
  writeBytes(bytes: Uint8Array, records: number): void {
    this.#pending.append(bytes);
    this.wrote(records);
  }

  /**
   * The buffer of what is waiting to be written, for a writer that builds its records in place:
   * append whole lines, then call {@link wrote} with how many.
   */
  get pending(): ByteBuffer {
    return this.#pending;
  }

  /** Counts `records` lines appended to {@link pending}; writes soon, or now past 1 MiB. */
  wrote(records: number): void {
    this.#lines += records;
    if (this.#pending.length >= FLUSH_AT) this.#write();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setTimeout(() => this.flush(), 0);
    }
  }

  /** Writes what is buffered now: every record whole, or, past a failure, not at all. */
  flush(): void {
    this.#scheduled = false;
    this.#write();
    const flood = this.#sinceFlush >= QUIET_BELOW;
    this.#sinceFlush = 0;
    if (!flood) return this.#shrink();
    if (this.#shrinkTimer !== undefined) clearTimeout(this.#shrinkTimer);
    const timer = setTimeout(() => {
      this.#shrinkTimer = undefined;
      this.#shrink();
    }, 1000);
    Deno.unrefTimer(timer);
    this.#shrinkTimer = timer;
  }

  /** Between floods, the buffers go back to their small size. */
  #shrink(): void {
    if (this.#pending.length === 0) this.#pending.clear();
    this.#spare.clear();
  }

  #write(): void {
    if (this.#pending.length === 0) return;
    // What a failure note appends while this is written goes to the other buffer.
    const buffer = this.#pending;
    const lines = this.#lines;
    this.#pending = this.#spare;
    this.#spare = buffer;
    this.#lines = 0;
    this.#sinceFlush += buffer.length;
    try {
      this.#writeOut(buffer.view(), lines);
    } finally {
      buffer.length = 0;
    }
    if (this.#pending.length === 0) {
      // Nothing came meanwhile: keep writing into the large one.
      this.#spare = this.#pending;
      this.#pending = buffer;
    }
  }

  #writeOut(bytes: Uint8Array, lines: number): void {
    // A torn record an earlier failure could not cut off goes first, or nothing is written.
    if (this.#cutTo !== undefined && !this.#cut(this.#cutTo)) {
      this.#failed(new Error(`cannot cut ${this.path} back to its last whole record`), lines);
      return;
    }
    if (this.#size + bytes.length > this.#options.maxBytes && this.#size > 0) this.#rotate();
    let file: Deno.FsFile;
    try {
      file = this.#open();
    } catch (error) {
      this.#failed(error as Error, lines);
      return;
    }
    let offset = 0;
    try {
      while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
    } catch (error) {
      // Keep the records written whole; cut a torn one off.
      const whole = offset > 0 ? bytes.lastIndexOf(NEWLINE, offset - 1) + 1 : 0;
      let kept = 0;
      for (let i = 0; i < whole; i++) if (bytes[i] === NEWLINE) kept++;
      if (whole < offset) this.#cut(this.#size + whole);
      else this.#size += whole;
      this.#failed(error as Error, lines - kept);
      return;
    }
    this.#size += bytes.length;
    if (this.#failing) {
      const lost = this.#lostWhileFailing;
      this.#failing = false;
      this.#error = undefined;
      this.#lostWhileFailing = 0;
      this.#listener?.resumed(lost);
    }
  }

  /** Cuts the file back to `size` bytes; when it cannot, the next flush tries again first. */
  #cut(size: number): boolean {
    try {
      this.#open().truncateSync(size);
      this.#size = size;
      this.#cutTo = undefined;
      return true;
    } catch {
      // Unlikely: shrinking a file needs no space.
      this.#cutTo = size;
      return false;
    }
  }

  #failed(error: Error, lost: number): void {
    this.#lost += lost;
    this.#lostWhileFailing += lost;
    this.#error = error.message;
    if (this.#failing) return;
    this.#failing = true;
    this.#listener?.failing(error);
  }

  #rotate(): void {
    this.#file?.close();
    this.#file = undefined;
    try {
      for (let i = this.#options.keep - 1; i >= 1; i--) {
        try {
          Deno.renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
        } catch {
          // that generation does not exist yet
        }
      }
      if (this.#options.keep > 0) Deno.renameSync(this.path, `${this.path}.1`);
      else Deno.removeSync(this.path);
      try {
        Deno.removeSync(`${this.path}.${this.#options.keep + 1}`);
      } catch {
        // nothing that old
      }
    } catch {
      // rotation failed: append to the same file
    }
    this.#size = 0;
  }

  /** Flushes and closes. */
  close(): void {
    this.flush();
    clearTimeout(this.#shrinkTimer);
    this.#shrinkTimer = undefined;
    this.#shrink();
    this.#file?.close();
    this.#file = undefined;
  }
}
