/**
 * What an ordered shutdown says while a level takes time: which instances it waits for, the signal
 * sent and when SIGKILL follows, then which post scripts are still running.
 *
 * @module
 */
import { formatDuration } from "../domain/duration.ts";
import type { Clock } from "./ports.ts";

/** A shutdown level that takes longer than this says what it waits for, */
const NARRATE_AFTER_MS = 1_000;
/** and says it again this often. */
const NARRATE_EVERY_MS = 2_000;

/** One instance of a level, as the narration sees it. */
export interface StoppingView {
  readonly id: string;
  /** Its process is still there. */
  readonly alive: boolean;
  /** Its post script is still running. */
  readonly postScript: boolean;
  readonly signal: string;
  readonly stopTimeoutMs: number;
}

/**
 * Says what a shutdown level waits for and when it escalates, then again every few seconds with
 * the time left, until the level is done (call the returned function).
 *
 * @param level Reads the level's instances now.
 * @param deadline When the shutdown timeout kills everything.
 */
export function narrateStop(
  level: () => readonly StoppingView[],
  options: { clock: Clock; say: (what: string) => void; deadline: number },
): () => void {
  const { clock, say, deadline } = options;
  const began = clock.now();
  const describe = (now: number): string | undefined => {
    const views = level();
    const pending = views.filter((v) => v.alive);
    if (pending.length === 0) {
      const hooks = views.filter((v) => v.postScript).map((v) => v.id);
      if (hooks.length === 0) return undefined;
      const left = Math.max(0, deadline - now);
      return `the post script of ${hooks.join(", ")} (killed in ${
        formatDuration(Math.ceil(left / 1000) * 1000)
      } at the latest, the shutdown timeout)`;
    }
    const killAt = Math.min(deadline, began + Math.max(...pending.map((v) => v.stopTimeoutMs)));
    const signals = [...new Set(pending.map((v) => v.signal))].join("/");
    const names = pending.map((v) => v.id).join(", ");
    const left = killAt - now;
    const by = killAt === deadline ? "the shutdown timeout" : "its stop timeout";
    return left > 0
      ? `${names} (${signals} sent; SIGKILL in ${
        formatDuration(Math.ceil(left / 1000) * 1000)
      }, ${by})`
      : `${names} (SIGKILL sent)`;
  };
  let cancel = () => {};
  let first = true;
  const tick = () => {
    const what = describe(clock.now());
    if (what) {
      say(`${first ? "" : "still "}waiting for ${what}`);
      first = false;
    }
    cancel = clock.setTimer(NARRATE_EVERY_MS, tick);
  };
  cancel = clock.setTimer(NARRATE_AFTER_MS, tick);
  return () => cancel();
}
