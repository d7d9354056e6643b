/**
 * When schedules fire: cron through croner (5 or 6 fields, nicknames, a time zone per flow) and
 * `@every` intervals aligned on the epoch, with orch's DST policy:
 *
 * - A fixed time that does not exist (02:30 on the night clocks go from 02:00 to 03:00) runs once,
 *   right after the gap (03:00). Times with a wildcard or a step in the hour keep their real-time
 *   rhythm: nothing is run twice after the gap. (croner's Vixie-cron rule, with lists and ranges
 *   counted as fixed times.)
 * - A wall-clock time that occurs twice (the hour repeated when clocks go back) runs once, at its
 *   first occurrence: the second pass through the repeated hour fires nothing.
 *
 * No cron arithmetic here: croner finds the times, this module only drops second passes.
 *
 * @module
 */
import { Cron } from "croner";
import type { Flow, Schedule } from "../domain/mod.ts";

/** Bound on the schedule times a catch-up enumerates. */
export const MAX_CATCH_UP = 1000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The wall-clock time at `ts` in `zone`, as milliseconds of a UTC clock showing it. */
export function wallClock(ts: number, zone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(ts))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second) +
    (ts % 1000 + 1000) % 1000;
}

/** The zone's offset from UTC at `ts`, in milliseconds. */
export function utcOffset(ts: number, zone: string): number {
  return wallClock(ts, zone) - ts;
}

/**
 * Whether `ts` is the second occurrence of its wall-clock time (a repeated hour after clocks
 * went back): the same wall time was shown `d` earlier, where `d` is how far the offset fell.
 */
export function isSecondPass(ts: number, zone: string): boolean {
  const fell = utcOffset(ts - 3 * 3_600_000, zone) - utcOffset(ts, zone);
  return fell > 0 && wallClock(ts - fell, zone) === wallClock(ts, zone);
}

/** The machine's time zone. */
export function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The fire times of one schedule. */
export class ScheduleTimes {
  readonly schedule: Schedule;
  readonly zone: string;
  readonly #cron: Cron | undefined;

  constructor(schedule: Schedule, timezone?: string) {
    this.schedule = schedule;
    this.zone = timezone ?? localZone();
    this.#cron = schedule.kind === "cron"
      ? new Cron(schedule.expr, {
        paused: true,
        timezone: this.zone,
        mode: "5-or-6-parts",
        fixedTimeRule: "no-wildcard",
      })
      : undefined;
  }

  /** The first fire time strictly after `after`, or undefined when it never fires again. */
  next(after: number): number | undefined {
    if (this.schedule.kind === "every") {
      const every = this.schedule.everyMs;
      return (Math.floor(after / every) + 1) * every;
    }
    let from = after;
    for (let i = 0; i < 10_000; i++) {
      const next = this.#cron!.nextRun(new Date(from))?.getTime();
      if (next === undefined) return undefined;
      if (!isSecondPass(next, this.zone)) return next;
      from = next;
    }
    return undefined;
  }
}

/** The fire times of a flow: the earliest of its schedules. */
export class FlowTimes {
  readonly #schedules: ScheduleTimes[];

  constructor(flow: Pick<Flow, "schedules" | "timezone">) {
    this.#schedules = flow.schedules.map((s) => new ScheduleTimes(s, flow.timezone));
  }

  /** Whether the flow has any schedule. */
  get scheduled(): boolean {
    return this.#schedules.length > 0;
  }

  /** The next fire time strictly after `after`, and the schedule it comes from. */
  next(after: number): { at: number; schedule: Schedule } | undefined {
    let best: { at: number; schedule: Schedule } | undefined;
    for (const s of this.#schedules) {
      const at = s.next(after);
      if (at !== undefined && (best === undefined || at < best.at)) {
        best = { at, schedule: s.schedule };
      }
    }
    return best;
  }

  /** The next `count` fire times after `after`. */
  upcoming(after: number, count: number): number[] {
    const out: number[] = [];
    let from = after;
    while (out.length < count) {
      const next = this.next(from);
      if (!next) break;
      out.push(next.at);
      from = next.at;
    }
    return out;
  }

  /**
   * Fire times in `(from, to]`, oldest first: the most recent `limit` of them when there are more.
   */
  between(from: number, to: number, limit = MAX_CATCH_UP): { at: number; schedule: Schedule }[] {
    const walk = (start: number) => {
      const out: { at: number; schedule: Schedule }[] = [];
      let cursor = start;
      while (out.length < limit * 4) {
        const next = this.next(cursor);
        if (!next || next.at > to) return { out, done: true };
        out.push(next);
        cursor = next.at;
      }
      return { out, done: false };
    };
    let { out, done } = walk(from);
    if (!done) {
      // Far too many: start again close enough to the end for `limit` of them.
      const span = (out[out.length - 1].at - from) / out.length;
      ({ out } = walk(Math.max(from, to - span * limit * 2)));
    }
    return out.slice(-limit);
  }
}
