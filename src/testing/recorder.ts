/**
 * Test helpers: an event recorder that awaits conditions under one deadline (never sleeps to
 * synchronise), and temporary directories.
 *
 * @module
 */
import type { EngineEvent } from "../domain/mod.ts";
import { readProcess } from "../runtime/process/mod.ts";

/** Records events of type `E` and resolves waits when a condition holds. */
export class Recorder<E> {
  readonly events: E[] = [];
  readonly #waiters = new Set<() => void>();

  /** The sink to pass as the emitter's `emit`. */
  readonly emit = (event: E): void => {
    this.events.push(event);
    for (const waiter of [...this.#waiters]) waiter();
  };

  /** Calls `fn` after every event and log record until the returned function is called. */
  watch(fn: () => void): () => void {
    this.#waiters.add(fn);
    return () => this.#waiters.delete(fn);
  }

  /** Re-checks pending waits (for conditions on things other than events, such as log lines). */
  poke(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** Resolves when `condition` holds, rejects after `timeoutMs` with `what` in the message. */
  until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs}ms waiting for ${what}`));
      }, timeoutMs);
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
    });
  }
}

/** Records engine events and resolves waits when a condition holds. */
export class EventRecorder extends Recorder<EngineEvent> {
  /** State events of a service, in order. */
  states(service: string): string[] {
    return this.events.flatMap((
      e,
    ) => (e.type === "state" && e.service === service ? [e.state] : []));
  }

  /** Resolves when an instance of `service` enters `state`. */
  reached(service: string, state: string, timeoutMs?: number): Promise<void> {
    return this.until(() => this.states(service).includes(state), `${service} ${state}`, timeoutMs);
  }
}

/** A temporary directory removed on dispose. */
export async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "orch-test-" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

const leftForExit = new Set<string>();

/**
 * A temporary directory removed when the test process ends: for helpers whose result points into
 * it (a loaded project's task directories) after they return.
 */
export async function scratchDir(prefix: string): Promise<string> {
  const path = await Deno.makeTempDir({ prefix });
  if (leftForExit.size === 0) {
    globalThis.addEventListener("unload", () => {
      for (const dir of leftForExit) {
        try {
          Deno.removeSync(dir, { recursive: true });
        } catch {
          // gone already
        }
      }
    });
  }
  leftForExit.add(path);
  return path;
}

/** Whether a process exists (and is not a zombie). */
export function processAlive(pid: number): boolean {
  return readProcess(pid) !== undefined;
}
