/**
 * Ordered shutdown: the stack stopped in reverse dependency order, dependents first, in parallel
 * within a level, each level's post scripts ended before the next; and what it says while a level
 * takes time: which instances it waits for, the signal sent and when SIGKILL follows, then which
 * post scripts are still running.
 *
 * @module
 */
import { formatDuration, type Stack, topologicalLevels } from "../domain/mod.ts";
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

/** The stack's services in the order they stop: levels of the dependency graph, dependents first. */
export function stopLevels(stack: Stack): string[][] {
  const edges = new Map(
    Object.values(stack.services).map((s) => [s.name, s.dependsOn.map((d) => d.target)]),
  );
  return topologicalLevels(Object.keys(stack.services), edges).reverse();
}

/** What an ordered stop works on: instances of type `I`. */
export interface OrderedStop<I> {
  /** Service names, level by level, in the order they stop ({@link stopLevels}). */
  readonly levels: readonly (readonly string[])[];
  /** A service's instances now (read as its level begins). */
  instancesOf(service: string): readonly I[];
  /** Wants an instance down. */
  down(instance: I): void;
  /** Whether it still has a process (or is on its way to one). */
  alive(instance: I): boolean;
  /** Resolves once it has no process. */
  settled(instance: I): Promise<void>;
  /** Resolves once the post scripts of these instances have ended. */
  postScripts(instances: readonly I[]): Promise<void>;
  /** The instance as the narration reads it. */
  view(instance: I): StoppingView;
  readonly clock: Clock;
  /** Receives what a slow level waits for (nothing is said without it). */
  readonly say?: (what: string) => void;
  /** When the shutdown timeout kills everything. */
  readonly deadline: number;
}

/** Stops level by level: each level's instances at once, then their post scripts, then the next. */
export async function stopInOrder<I>(stop: OrderedStop<I>): Promise<void> {
  for (const level of stop.levels) {
    const instances = level.flatMap((name) => stop.instancesOf(name));
    for (const instance of instances) stop.down(instance);
    const alive = instances.filter((i) => stop.alive(i));
    const say = stop.say;
    const stopWatch = say && instances.length > 0
      ? narrateStop(() => instances.map((i) => stop.view(i)), {
        clock: stop.clock,
        say,
        deadline: stop.deadline,
      })
      : undefined;
    await Promise.all(alive.map((i) => stop.settled(i)));
    // Their post scripts end (or time out, or are killed at the deadline) before the next level.
    await stop.postScripts(instances);
    stopWatch?.();
  }
}

/** A whole stack's shutdown: the ordered stop of its instances, within the shutdown timeout. */
export interface StackShutdown<I> extends Omit<OrderedStop<I>, "levels" | "deadline"> {
  readonly stack: Stack;
  /** Past this, everything is killed (the stop goes on to its end). */
  readonly timeoutMs: number;
  /** Kills every instance at once. */
  kill(): void;
  /** Announces that the stack is stopping, then that it stopped. */
  phase(phase: "stopping" | "stopped"): void;
  /** Ends what outlives the instances (every post script, the restart cap, the routes). */
  release(): Promise<void>;
}

/** Stops the stack: announced, level by level under the timeout, then what is left released. */
export async function shutDown<I>(steps: StackShutdown<I>): Promise<void> {
  steps.phase("stopping");
  const { clock, timeoutMs } = steps;
  const deadline = clock.now() + timeoutMs;
  const cancelKill = clock.setTimer(timeoutMs, () => steps.kill());
  await stopInOrder({ ...steps, levels: stopLevels(steps.stack), deadline });
  await steps.release();
  cancelKill();
  steps.phase("stopped");
}
