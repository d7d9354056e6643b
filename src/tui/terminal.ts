/**
 * The real terminal: raw mode, the alternate screen, key decoding, resizes, and restoring all of it
 * on every exit, crash included.
 *
 * @module
 */
import type { Key } from "./keys.ts";

/** What the app needs of a terminal. */
export interface TerminalPort {
  size(): { columns: number; rows: number };
  write(text: string): void;
  keys(): AsyncIterable<Key>;
  onResize(listener: () => void): () => void;
  restore(): void;
  /**
   * Resolves, with what happened, when the terminal is gone (a closed window, a dropped SSH
   * session): a write failed with EIO or EPIPE, or reading met the end. Writes after it are
   * ignored.
   */
  readonly lost: Promise<string>;
}

const SEQUENCES: Record<string, Key> = {
  "\x1b[A": "up",
  "\x1b[B": "down",
  "\x1b[C": "right",
  "\x1b[D": "left",
  "\x1bOA": "up",
  "\x1bOB": "down",
  "\x1bOC": "right",
  "\x1bOD": "left",
  "\x1b[5~": "pageup",
  "\x1b[6~": "pagedown",
  "\x1b[H": "home",
  "\x1b[F": "end",
  "\x1bOH": "home",
  "\x1bOF": "end",
  "\x1b[1~": "home",
  "\x1b[4~": "end",
  "\x1b[7~": "home",
  "\x1b[8~": "end",
  "\x1b[3~": "delete",
  "\x1b[Z": "backtab",
};

/** Splits what the terminal sent into keys. */
export function decodeKeys(input: string): Key[] {
  const keys: Key[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i];
    if (ch === "\x1b") {
      // A known sequence, else a CSI/SS3 we skip, else Escape itself.
      const match = Object.keys(SEQUENCES).find((s) => input.startsWith(s, i));
      if (match) {
        keys.push(SEQUENCES[match]);
        i += match.length;
        continue;
      }
      // deno-lint-ignore no-control-regex
      const csi = /^\x1b(?:\[[0-?]*[ -/]*[@-~]|O.)/.exec(input.slice(i));
      if (csi) {
        i += csi[0].length;
        continue;
      }
      keys.push("escape");
      i++;
      continue;
    }
    if (ch === "\r" || ch === "\n") keys.push("enter");
    else if (ch === "\t") keys.push("tab");
    else if (ch === "\x7f" || ch === "\b") keys.push("backspace");
    else if (ch === "\x03") keys.push("ctrl-c");
    else if (ch === "\x04") keys.push("ctrl-d");
    else if (ch === "\x0c") keys.push("ctrl-l");
    else if (ch === "\x15") keys.push("ctrl-u");
    else if (ch === "\x17") keys.push("ctrl-w");
    else if (ch >= " ") {
      const cp = input.codePointAt(i)!;
      const char = String.fromCodePoint(cp);
      keys.push(char);
      i += char.length;
      continue;
    }
    i++;
  }
  return keys;
}

const ENTER = "\x1b[?1049h\x1b[?25l\x1b[?7l\x1b[H\x1b[2J";
const LEAVE = "\x1b[0m\x1b[?7h\x1b[?25h\x1b[?1049l";

/** The process's terminal. Enters raw mode and the alternate screen at once. */
export function openTerminal(): TerminalPort {
  const encoder = new TextEncoder();
  const lost = Promise.withResolvers<string>();
  let gone = false;
  const hangup = (reason: string) => {
    if (gone) return;
    gone = true;
    lost.resolve(reason);
  };
  const write = (text: string) => {
    if (gone) return;
    const bytes = encoder.encode(text);
    let offset = 0;
    try {
      while (offset < bytes.length) offset += Deno.stdout.writeSync(bytes.subarray(offset));
    } catch (error) {
      // EIO (hung up) or EPIPE as a rule; whatever it is, nothing more can be drawn.
      hangup(`the terminal is gone (${(error as Error).message})`);
    }
  };
  let restored = false;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const restore = () => {
    if (restored) return;
    restored = true;
    try {
      write(LEAVE);
    } catch {
      // the terminal is gone
    }
    try {
      Deno.stdin.setRaw(false);
    } catch {
      // not a terminal any more
    }
    reader?.cancel().catch(() => {});
    globalThis.removeEventListener("unload", restore);
    globalThis.removeEventListener("error", restore);
    globalThis.removeEventListener("unhandledrejection", restore);
  };
  // Whatever happens, the terminal comes back.
  globalThis.addEventListener("unload", restore);
  globalThis.addEventListener("error", restore);
  globalThis.addEventListener("unhandledrejection", restore);
  Deno.stdin.setRaw(true);
  write(ENTER);
  return {
    size: () => {
      const { columns, rows } = Deno.consoleSize();
      return { columns, rows };
    },
    write,
    async *keys() {
      reader = Deno.stdin.readable.getReader();
      const decoder = new TextDecoder();
      try {
        while (!restored) {
          const { value, done } = await reader.read();
          if (done) {
            // In raw mode a terminal ends its input only when it hangs up.
            if (!restored) hangup("the terminal closed its input");
            return;
          }
          yield* decodeKeys(decoder.decode(value, { stream: true }));
        }
      } catch (error) {
        if (!restored) hangup(`the terminal is gone (${(error as Error).message})`);
      } finally {
        try {
          reader.releaseLock();
        } catch {
          // cancelled
        }
      }
    },
    onResize(listener) {
      Deno.addSignalListener("SIGWINCH", listener);
      return () => Deno.removeSignalListener("SIGWINCH", listener);
    },
    restore,
    lost: lost.promise,
  };
}
