/**
 * A terminal for TUI tests without a tty: what the TUI writes is played onto a grid of cells
 * (cursor moves, clears and text; styles are ignored), keys are fed in by the test, and waits for
 * what the screen shows run under a deadline that names what they waited for.
 *
 * @module
 */
import type { TerminalPort } from "../tui/mod.ts";

/** A scripted terminal of `columns` x `rows`. */
export class ScriptedTerminal implements TerminalPort {
  readonly #columns: number;
  readonly #rows: number;
  #cells: string[][];
  #cursor = { row: 0, column: 0 };
  readonly #keys: string[] = [];
  #wake: (() => void) | undefined;
  #closed = false;
  readonly #watchers = new Set<() => void>();
  readonly #lost = Promise.withResolvers<string>();
  /** Whether `restore` was called. */
  restored = false;

  constructor(columns = 100, rows = 24) {
    this.#columns = columns;
    this.#rows = rows;
    this.#cells = this.#blank();
  }

  #blank(): string[][] {
    return Array.from({ length: this.#rows }, () => Array(this.#columns).fill(" "));
  }

  size() {
    return { columns: this.#columns, rows: this.#rows };
  }

  write(text: string): void {
    // deno-lint-ignore no-control-regex
    const sequence = /\x1b\[([0-9;]*)([A-Za-z])/y;
    for (let i = 0; i < text.length;) {
      if (text[i] === "\x1b") {
        sequence.lastIndex = i;
        const m = sequence.exec(text);
        if (!m) {
          i++;
          continue;
        }
        if (m[2] === "H") {
          const [row, column] = (m[1] || "1;1").split(";").map(Number);
          this.#cursor = { row: row - 1, column: (column || 1) - 1 };
        } else if (m[2] === "J" && m[1] === "2") this.#cells = this.#blank();
        i = sequence.lastIndex;
        continue;
      }
      const ch = String.fromCodePoint(text.codePointAt(i)!);
      const { row, column } = this.#cursor;
      if (row < this.#rows && column < this.#columns) this.#cells[row][column] = ch;
      this.#cursor = { row, column: column + 1 };
      i += ch.length;
    }
    for (const watcher of [...this.#watchers]) watcher();
  }

  /** The screen as text, one line a row. */
  text(): string {
    return this.#cells.map((row) => row.join("").trimEnd()).join("\n");
  }

  /** Types keys (names as the TUI's decoder gives them: `j`, `enter`, `ctrl-c`). */
  press(...keys: string[]): void {
    this.#keys.push(...keys);
    this.#wake?.();
  }

  async *keys(): AsyncIterable<string> {
    while (!this.#closed) {
      const key = this.#keys.shift();
      if (key !== undefined) {
        yield key;
        continue;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  onResize(): () => void {
    return () => {};
  }

  restore(): void {
    this.restored = true;
    this.#closed = true;
    this.#wake?.();
  }

  get lost(): Promise<string> {
    return this.#lost.promise;
  }

  /** Resolves with the screen once `condition` holds; rejects after `timeoutMs` naming `what`. */
  until(condition: (text: string) => boolean, what: string, timeoutMs = 15_000): Promise<string> {
    if (condition(this.text())) return Promise.resolve(this.text());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#watchers.delete(check);
        reject(
          new Error(
            `timed out after ${timeoutMs}ms waiting for ${what}; the screen:\n${this.text()}`,
          ),
        );
      }, timeoutMs);
      const check = () => {
        if (!condition(this.text())) return;
        clearTimeout(timer);
        this.#watchers.delete(check);
        resolve(this.text());
      };
      this.#watchers.add(check);
    });
  }
}
