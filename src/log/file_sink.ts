/**
 * Append-only files with batched writes and size-based rotation: `name` -> `name.1` -> ... -> dropped.
 *
 * @module
 */

const encoder = new TextEncoder();
/** Characters buffered before a write, unless the event loop comes round first. */
const FLUSH_AT = 1 << 20;

/** Options of a rotating file. */
export interface RotatingFileOptions {
  /** Rotate when the file would grow past this many bytes. */
  readonly maxBytes: number;
  /** How many rotated files to keep. */
  readonly keep: number;
}

/** A file written in batches, rotated by size. Writes are synchronous and never lost. */
export class RotatingFile {
  readonly path: string;
  readonly #options: RotatingFileOptions;
  #file: Deno.FsFile | undefined;
  #size = 0;
  // A rope: V8 concatenates strings lazily, which is cheaper than an array joined at the end.
  #text = "";
  #scheduled = false;
  #failed = false;

  constructor(path: string, options: RotatingFileOptions) {
    this.path = path;
    this.#options = options;
  }

  #open(): Deno.FsFile | undefined {
    if (this.#file || this.#failed) return this.#file;
    try {
      const dir = this.path.slice(0, this.path.lastIndexOf("/"));
      if (dir) Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
      // Logs hold whatever services print: readable by orch's user only.
      this.#file = Deno.openSync(this.path, { append: true, create: true, mode: 0o600 });
      this.#size = this.#file.statSync().size;
    } catch {
      this.#failed = true;
    }
    return this.#file;
  }

  /** Appends one line (a newline is added). */
  writeLine(line: string): void {
    this.#text += line + "\n";
    if (this.#text.length >= FLUSH_AT) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setTimeout(() => this.flush(), 0);
    }
  }

  /** Writes what is buffered now. */
  flush(): void {
    this.#scheduled = false;
    if (this.#text.length === 0) return;
    const bytes = encoder.encode(this.#text);
    this.#text = "";
    if (this.#size + bytes.length > this.#options.maxBytes && this.#size > 0) this.#rotate();
    const file = this.#open();
    if (!file) return;
    let offset = 0;
    try {
      while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
    } catch {
      // disk full or gone: keep running, the in-memory ring still has the lines
    }
    this.#size += bytes.length;
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
    this.#file?.close();
    this.#file = undefined;
  }
}
