/**
 * Flow task output: each line goes to the log hub (the flow's name as the record's service, the
 * run id and task name on every record) and to the attempt's own NDJSON file under
 * `.orch/flows/logs/FLOW/RUN/`, whose path the history keeps. Retention removes the files of
 * pruned runs.
 *
 * @module
 */
import { type Level, toNdjson } from "../domain/mod.ts";
import { RotatingFile } from "./file_sink.ts";
import type { LogHub } from "./hub.ts";

/** Which attempt a log is for. */
export interface AttemptRef {
  readonly flow: string;
  readonly run: number;
  readonly task: string;
  readonly attempt: number;
}

/** One attempt's log. */
export class AttemptLog {
  readonly path: string;
  readonly #hub: LogHub;
  readonly #ref: AttemptRef;
  readonly #file: RotatingFile;

  constructor(hub: LogHub, ref: AttemptRef, path: string) {
    this.#hub = hub;
    this.#ref = ref;
    this.path = path;
    // One file per attempt; a flood is capped rather than rotated away.
    this.#file = new RotatingFile(path, { maxBytes: 256 << 20, keep: 1 });
  }

  #record(stream: "stdout" | "stderr" | "orch", msg: string, level: Level): void {
    const record = this.#hub.append({
      ts: Date.now(),
      seq: 0,
      service: this.#ref.flow,
      replica: this.#ref.attempt,
      stream,
      level,
      msg,
      run: this.#ref.run,
      task: this.#ref.task,
    });
    this.#file.writeLine(toNdjson(record));
  }

  /** Reads one of the task's streams into the hub and this attempt's file, a chunk at a time. */
  pump(stream: ReadableStream<Uint8Array>, name: "stdout" | "stderr"): Promise<void> {
    const { flow, attempt, run, task } = this.#ref;
    return this.#hub.pumpFrom(
      { service: flow, replica: attempt, stream: name, run, task },
      stream,
      {
        alsoTo: this.#file,
      },
    );
  }

  note(msg: string, level: Level = "info"): void {
    this.#record("orch", msg, level);
  }

  close(): Promise<void> {
    this.#file.close();
    return Promise.resolve();
  }
}

/** Opens attempt logs under `root` (`.orch/flows/logs`). */
export class FlowLogs {
  readonly root: string;
  readonly #hub: LogHub;

  constructor(hub: LogHub, root: string) {
    this.#hub = hub;
    this.root = root;
  }

  open(ref: AttemptRef): AttemptLog {
    const path = `${this.root}/${encodeURIComponent(ref.flow)}/${ref.run}/` +
      `${encodeURIComponent(ref.task)}.${ref.attempt}.ndjson`;
    return new AttemptLog(this.#hub, ref, path);
  }

  remove(paths: readonly string[]): void {
    const dirs = new Set<string>();
    for (const path of paths) {
      if (!path.startsWith(`${this.root}/`)) continue;
      try {
        Deno.removeSync(path);
      } catch {
        // already gone
      }
      dirs.add(path.slice(0, path.lastIndexOf("/")));
    }
    for (const dir of dirs) {
      try {
        Deno.removeSync(dir); // only when empty
      } catch {
        // other attempts' files are still there
      }
    }
  }
}
