/**
 * Waiting on instances: to be ready (what a rolling update, a scale and a restart wait for), or to
 * have no process left (what a stop and a shutdown wait for).
 *
 * @module
 */
import { formatDuration } from "../domain/mod.ts";
import type { Clock } from "./ports.ts";
import type { InstanceModel } from "./supervisor.ts";

/** One instance as the wait reads it, now. */
export interface Awaited {
  model(): InstanceModel;
  /** `api.1`. */
  id(): string;
  /** What its probes say, for the message when it is late. */
  health(): string;
}

/**
 * Resolves with undefined once every instance is ready (a oneshot: completed), or with what went
 * wrong: one failed, crashed, stopped, or was not ready within `budgetMs` (`Infinity`: no bound).
 *
 * @param onChange Subscribes to every change of the instances; returns the unsubscribe.
 */
export function awaitReady(
  instances: readonly Awaited[],
  budgetMs: number,
  options: { clock: Clock; onChange: (listener: () => void) => () => void },
): Promise<string | undefined> {
  return new Promise((resolve) => {
    let cancelTimer = () => {};
    let unsubscribe = () => {};
    const finish = (result: string | undefined) => {
      cancelTimer();
      unsubscribe();
      resolve(result);
    };
    const check = () => {
      for (const i of instances) {
        const m = i.model();
        if (m.state === "failed" || m.state === "backoff" || m.state === "stopped") {
          return finish(`${i.id()} ${m.state}: ${m.message}`), true;
        }
      }
      const done = (i: Awaited) => i.model().state === "ready" || i.model().state === "completed";
      if (instances.every(done)) return finish(undefined), true;
      return false;
    };
    if (check()) return;
    unsubscribe = options.onChange(() => void check());
    if (budgetMs === Infinity) return;
    cancelTimer = options.clock.setTimer(budgetMs, () => {
      const late = instances.find((i) => i.model().state !== "ready")!;
      const why = late.health() || late.model().message || late.model().state;
      finish(`${late.id()} not ready after ${formatDuration(budgetMs)} (${why})`);
    });
  });
}

/** One instance as a wait for its end reads it, now. */
export interface Settling {
  /** Whether it has a process, or is about to have one. */
  busy(): boolean;
}

/**
 * Resolves once `instance` is not busy: no process, and none on its way.
 *
 * @param onChange Subscribes to every change of the instances; returns the unsubscribe.
 */
export function awaitSettled(
  instance: Settling,
  onChange: (listener: () => void) => () => void,
): Promise<void> {
  return new Promise((resolve) => {
    if (!instance.busy()) return resolve();
    const unsubscribe = onChange(() => {
      if (instance.busy()) return;
      unsubscribe();
      resolve();
    });
  });
}
