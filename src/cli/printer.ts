/**
 * The plain output of `orch up` without a TUI: the merged log stream as coloured `service | line`, orch's
 * own events among them, or NDJSON with `--json`. Writes are asynchronous and batched, so a slow
 * terminal or pipe never blocks a service: the subscription skips ahead instead.
 *
 * @module
 */
import {
  describeFlowEvent,
  hasSgr,
  isStreamGone,
  type LogRecord,
  type OrchEvent,
  sanitize,
  toNdjson,
} from "../domain/mod.ts";
import { appendText, ByteBuffer, encodeBatch, type Slice } from "../log/mod.ts";
import type { Style } from "./style.ts";

const encoder = new TextEncoder();

/**
 * A queue of text written to a stream by one async loop. When the stream is gone (a closed
 * terminal, a pipe whose reader left) `onGone` is called once and every later write is ignored;
 * other failures (a full disk under `.orch/orch.log`) lose only what was being written.
 */
export class AsyncWriter {
  #pending = new ByteBuffer();
  #spare = new ByteBuffer();
  #running: Promise<void> | undefined;
  #gone = false;
  readonly #onGone: ((error: Error) => void) | undefined;
  constructor(
    readonly stream: { write(p: Uint8Array): Promise<number> },
    options: { onGone?: (error: Error) => void } = {},
  ) {
    this.#onGone = options.onGone;
  }

  /** Whether the stream is gone. */
  get gone(): boolean {
    return this.#gone;
  }

  /** Queues text, or bytes (copied now). */
  write(text: string | Uint8Array): void {
    if (this.#gone || text.length === 0) return;
    if (typeof text === "string") this.#pending.appendText(text);
    else this.#pending.append(text);
    this.#running ??= this.#loop();
  }

  async #loop(): Promise<void> {
    while (this.#pending.length > 0) {
      // What comes while this is written goes to the other buffer.
      const buffer = this.#pending;
      this.#pending = this.#spare;
      this.#spare = buffer;
      const bytes = buffer.view();
      let offset = 0;
      try {
        while (offset < bytes.length) offset += await this.stream.write(bytes.subarray(offset));
      } catch (error) {
        this.#pending.clear();
        if (isStreamGone(error)) {
          this.#gone = true;
          this.#onGone?.(error as Error);
        }
        break;
      } finally {
        buffer.length = 0;
      }
    }
    // Idle: large buffers go.
    this.#pending.clear();
    this.#spare.clear();
    this.#running = undefined;
  }

  /** Resolves when everything queued is written. */
  async drain(): Promise<void> {
    while (this.#running) await this.#running;
  }
}

/** How a {@link LinePrinter} prints. */
export interface PrinterOptions {
  /** NDJSON records instead of `service | line` (escapes are then JSON's, never raw). */
  readonly json?: boolean;
  /** Applied to text a service (or a probe) produced, e.g. {@link terminalCleaner}. */
  readonly clean?: (text: string) => string;
}

/**
 * The cleaner for text headed for a terminal: every escape sequence but colours (and those too
 * without colour) is removed, and a line that leaves a colour set is reset at its end. Undefined
 * (text as is) for a file or a pipe, and with `raw`.
 */
export function terminalCleaner(
  options: { terminal: boolean; raw?: boolean; colors: boolean },
): ((text: string) => string) | undefined {
  if (!options.terminal || options.raw) return undefined;
  const colors = options.colors;
  return (text) => {
    const safe = sanitize(text, { colors });
    return colors && hasSgr(safe) ? `${safe}\x1b[0m` : safe;
  };
}

/** Formats records and events as lines for a person. */
export class LinePrinter {
  readonly #style: Style;
  readonly #width: number;
  readonly #colors = new Map<string, number>();
  readonly #json: boolean;
  readonly #clean: ((text: string) => string) | undefined;

  constructor(services: readonly string[], style: Style, options: PrinterOptions = {}) {
    this.#style = style;
    this.#json = options.json ?? false;
    this.#clean = options.json ? undefined : options.clean;
    this.#width = Math.max(4, ...services.map((s) => s.length + 2));
    services.forEach((s, i) => this.#colors.set(s, i));
  }

  readonly #prefixes = new Map<string, string>();
  #prefix(service: string, replica: number, multi: boolean): string {
    const name = multi ? `${service}.${replica}` : service;
    let prefix = this.#prefixes.get(name);
    if (prefix === undefined) {
      prefix = this.#style.pick(
        this.#colors.get(service) ?? 0,
        name.padEnd(Math.max(this.#width, name.length + 1)),
      ) +
        this.#style.dim("| ");
      this.#prefixes.set(name, prefix);
    }
    return prefix;
  }

  /** A line of orch's own. */
  note(text: string): string {
    return this.#json
      ? `${JSON.stringify({ event: "note", ts: new Date().toISOString(), message: text })}\n`
      : `${this.#style.dim("orch".padEnd(this.#width) + "| ")}${text}\n`;
  }

  readonly #prefixBytes = new Map<string, Uint8Array>();
  readonly #out = new ByteBuffer();

  /**
   * Slices of the log as {@link record} prints each of their records (flow tasks' records under
   * `flow/task`), built a batch at a time from the lines' bytes. A view, valid until the next call.
   */
  slices(slices: readonly Slice[], multi: (service: string) => boolean): Uint8Array {
    const out = this.#out;
    out.clear(1 << 20);
    for (const { batch, from, to, min } of slices) {
      if (this.#json) {
        encodeBatch(batch, out, from, to, min);
        continue;
      }
      const { service, replica, task } = batch.source;
      if (!batch.lines) {
        for (let i = from; i < to; i++) {
          const r = batch.record(i);
          out.appendText(this.record(task ? { ...r, task } : r, multi(service)));
        }
        continue;
      }
      const key = task ? `${service}/${task}` : service;
      const many = task ? false : multi(service);
      const name = `${many ? 1 : 0}${replica} ${key}`;
      let prefix = this.#prefixBytes.get(name);
      if (!prefix) {
        prefix = encoder.encode(this.#prefix(key, replica, many));
        this.#prefixBytes.set(name, prefix);
      }
      appendText(batch, out, { from, to, min, prefix, clean: this.#clean });
    }
    return out.view();
  }

  /** One log record as a line. */
  record(record: LogRecord, multi: boolean): string {
    if (this.#json) return `${toNdjson(record)}\n`;
    const text = this.#clean ? this.#clean(record.msg) : record.msg;
    const msg = record.stream === "orch" ? this.#style.yellow(text) : text;
    // A flow task's line is under `flow/task`, as the live stream prints it.
    const prefix = record.task !== undefined
      ? this.#prefix(`${record.service}/${record.task}`, record.replica, false)
      : this.#prefix(record.service, record.replica, multi);
    return `${prefix}${msg}\n`;
  }

  /** One event as a line, or "" for events not shown. */
  event(event: OrchEvent, multi: (service: string) => boolean): string {
    if (this.#json) {
      return event.type === "probe" && event.outcome === "ok"
        ? ""
        : `${
          JSON.stringify({ event: event.type, ...event, ts: new Date(event.ts).toISOString() })
        }\n`;
    }
    const text = this.describe(event, multi);
    return text ? `${this.#style.dim("orch".padEnd(this.#width) + "| ")}${text}\n` : "";
  }

  /**
   * What an event says, without the `orch |` prefix, or "" for events not shown: of a flow's,
   * runs and the tasks that failed or retry.
   */
  describe(event: OrchEvent, multi: (service: string) => boolean): string {
    const s = this.#style;
    switch (event.type) {
      case "state": {
        const who = multi(event.service) ? `${event.service}.${event.replica}` : event.service;
        const colour = event.state === "ready" || event.state === "completed"
          ? s.green
          : event.state === "failed"
          ? s.red
          : event.state === "backoff"
          ? s.yellow
          : s.dim;
        if (event.state === "waiting" && event.message.startsWith("blocked")) return "";
        const text = this.#clean ? this.#clean(event.message) : event.message;
        const message = text && text !== event.state ? ` ${s.dim(`(${text})`)}` : "";
        return `${who} ${colour(event.state)}${message}`;
      }
      case "exited":
        return "";
      case "probe":
        return "";
      case "dropped":
        if (event.of === "events") {
          return s.yellow(`events too fast: ${event.count} skipped for a reader that fell behind`);
        }
        return s.yellow(
          event.consumer === "terminal"
            ? `output too fast: ${event.count} lines skipped on screen (all are in .orch/logs)`
            : `output too fast: ${event.count} lines skipped for ${event.consumer} ` +
              `(all are in .orch/logs)`,
        );
      case "run":
        return `${event.flow}: ${describeFlowEvent(event)}`;
      case "task":
        if (event.state !== "failed" && event.state !== "retrying") return "";
        return `${event.flow}: ${describeFlowEvent(event)}`;
      case "stack":
        if (!event.message) return "";
        return s.bold(`stack ${event.phase}: ${this.#clean?.(event.message) ?? event.message}`);
      case "rollout": {
        const colour = event.phase === "done"
          ? s.green
          : event.phase === "failed" || event.phase === "rolledBack"
          ? s.red
          : s.dim;
        const text = this.#clean ? this.#clean(event.message) : event.message;
        return `${event.service} ${colour(`rollout ${event.phase}`)}: ${text}`;
      }
    }
  }
}
