/**
 * `orch up -d --wait`: follows the background orch's events until every instance is ready (or
 * completed) and stays so for a moment, something fails for good, or the time is up. Driven by
 * the event stream, not by polling: a crash at any moment of the wait is seen.
 *
 * @module
 */
import type { Control, StatusSnapshot } from "../control/mod.ts";
import type { InstanceStatus, OrchEvent } from "../domain/mod.ts";
import type { CliIO } from "./io.ts";

/**
 * How long everything must stay ready: a service without probes is ready the moment it starts,
 * and one that crashes at once must not count.
 */
export const STEADY_MS = 100;

/** A reason an instance keeps the stack from being ready. */
export interface Problem {
  /** It cannot get better by waiting. */
  readonly fatal: boolean;
  readonly text: string;
}

/** Why an instance keeps the stack from being ready, or undefined when it does not. */
export function problem(i: InstanceStatus): Problem | undefined {
  if (i.state === "ready" || i.state === "completed" || i.want === "down") return undefined;
  const text = `${i.id} ${i.state}${i.message ? `: ${i.message}` : ""}`;
  // Blocked behind a dependency that failed for good (not one that is still being restarted).
  const fatal = i.state === "failed" || (i.state === "waiting" && i.blocked?.because === "failed");
  return { fatal, text };
}

/** Whether an event may change whether the stack is ready. */
function changesReadiness(event: OrchEvent): boolean {
  return event.type === "state" || event.type === "stack" || event.type === "dropped";
}

function problemsOf(status: StatusSnapshot): Problem[] {
  return status.instances.flatMap((i) => {
    const p = problem(i);
    return p ? [p] : [];
  });
}

const list = (problems: readonly Problem[]) => problems.map((p) => `  ${p.text}\n`).join("");

/** Waits for the stack of `control` to be ready; returns the exit status of `up -d --wait`. */
export async function waitReady(io: CliIO, control: Control, timeoutMs: number): Promise<number> {
  // Subscribed first: whatever happens after the status below is an event.
  const events = await control.events();
  const batches = events.batches()[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<readonly OrchEvent[]>> | undefined;
  const nextBatch = () => (pending ??= batches.next());
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const after = <T>(ms: number, value: T) =>
    new Promise<T>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve(value);
      }, ms);
      timers.add(timer);
    });
  const deadline = after(timeoutMs, "deadline" as const);
  try {
    for (;;) {
      const status = await control.status({ usage: false });
      const problems = problemsOf(status);
      const fatal = problems.filter((p) => p.fatal);
      if (fatal.length > 0 || status.phase === "stopping") {
        io.err(`orch: not ready:\n${list([...fatal, ...problems.filter((p) => !p.fatal)])}`);
        return 1;
      }
      // Ready, it must stay so for STEADY_MS; not ready, wait for what changes it.
      const steady = problems.length === 0 ? after(STEADY_MS, "steady" as const) : undefined;
      for (;;) {
        const next = await Promise.race([
          nextBatch().then((r) => r.done ? "ended" as const : r.value),
          deadline,
          ...(steady ? [steady] : []),
        ]);
        if (next === "steady") {
          io.out(`ready: ${status.instances.length} instance(s) ready or completed\n`);
          return 0;
        }
        if (next === "deadline") {
          const last = problemsOf(await control.status({ usage: false }));
          io.err(`orch: not ready after ${Math.round(timeoutMs / 1000)}s:\n${list(last)}`);
          return 1;
        }
        pending = undefined;
        if (next === "ended") {
          // The orch went away (the status says why), or stopped its stream.
          const now = await control.status({ usage: false });
          io.err(
            `orch: the event stream of ${control.where} ended before the stack was ready:\n${
              list(problemsOf(now))
            }`,
          );
          return 1;
        }
        if (next.some(changesReadiness)) break;
      }
    }
  } finally {
    for (const timer of timers) clearTimeout(timer);
    events.close();
  }
}
