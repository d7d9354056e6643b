/**
 * Checking schedules and time zones at load time: 5- and 6-field cron (croner parses them), the
 * `@daily`-style nicknames, `@every DURATION`; a bad field is named with its position.
 *
 * @module
 */
import { Cron } from "croner";
import { didYouMean, parseDuration, type Schedule } from "../../domain/mod.ts";

/** The cron nicknames orch reads (croner's, and Petit's). */
export const CRON_NICKNAMES = [
  "@yearly",
  "@annually",
  "@monthly",
  "@weekly",
  "@daily",
  "@midnight",
  "@hourly",
] as const;

const FIELDS_5 = ["minute", "hour", "day of month", "month", "day of week"];
const FIELDS_6 = ["second", ...FIELDS_5];

/** A schedule that could not be read: why, and where in the expression (0-based offset). */
export interface ScheduleProblem {
  readonly message: string;
  readonly offset: number;
  readonly hint?: string;
}

function parses(expr: string): string | undefined {
  try {
    new Cron(expr, { paused: true, mode: "5-or-6-parts" });
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^CronPattern: /, "");
  }
}

/**
 * Reads one schedule expression.
 *
 * @returns the schedule, or what is wrong with it and at which offset of the text.
 */
export function checkSchedule(text: string, now = Date.now()): Schedule | ScheduleProblem {
  const expr = text.trim();
  const lead = text.length - text.trimStart().length;
  if (expr.startsWith("@every")) {
    const arg = expr.slice("@every".length).trim();
    const ms = parseDuration(arg);
    if (ms === undefined) {
      return {
        message: `"@every" needs a duration like 30s or 5m, got ${JSON.stringify(arg)}`,
        offset: lead + Math.max(0, text.trimStart().indexOf(arg)),
      };
    }
    if (ms < 1000) return { message: `"@every ${arg}" is shorter than 1s`, offset: lead };
    return { kind: "every", everyMs: ms, expr };
  }
  if (expr.startsWith("@")) {
    const nick = expr.toLowerCase();
    if (!(CRON_NICKNAMES as readonly string[]).includes(nick)) {
      return {
        message: `unknown schedule ${JSON.stringify(expr)}`,
        offset: lead,
        hint: didYouMean(nick, CRON_NICKNAMES) ??
          `use ${CRON_NICKNAMES.join(", ")}, @every DURATION, or 5 or 6 cron fields`,
      };
    }
    return { kind: "cron", expr: nick };
  }
  const fields = [...expr.matchAll(/\S+/g)];
  if (fields.length !== 5 && fields.length !== 6) {
    return {
      message: `a cron expression has 5 fields (minute hour day month weekday) or 6 (seconds ` +
        `first), got ${fields.length} in ${JSON.stringify(expr)}`,
      offset: lead,
    };
  }
  const problem = parses(expr);
  if (problem !== undefined) {
    const labels = fields.length === 6 ? FIELDS_6 : FIELDS_5;
    // The bad field is the first that fails on its own, the others wildcards.
    for (let i = 0; i < fields.length; i++) {
      const alone = fields.map((f, j) => (j === i ? f[0] : j === 0 ? "0" : "*")).join(" ");
      const own = parses(alone);
      if (own !== undefined) {
        return {
          message: `field ${i + 1} (${labels[i]}) ${JSON.stringify(fields[i][0])} of ` +
            `${JSON.stringify(expr)}: ${own}`,
          offset: lead + fields[i].index!,
        };
      }
    }
    return { message: `${JSON.stringify(expr)}: ${problem}`, offset: lead };
  }
  const next = new Cron(expr, { paused: true, mode: "5-or-6-parts" }).nextRun(new Date(now));
  if (!next) return { message: `${JSON.stringify(expr)} never fires`, offset: lead };
  return { kind: "cron", expr };
}

let zones: string[] | undefined;

/** Checks an IANA time zone name; returns the problem, with a did-you-mean, or undefined. */
export function checkTimezone(name: string): { message: string; hint?: string } | undefined {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return undefined;
  } catch {
    zones ??= [...Intl.supportedValuesOf("timeZone"), "UTC"];
    return {
      message: `unknown time zone ${JSON.stringify(name)}`,
      hint: didYouMean(name, zones) ?? "use an IANA name such as Europe/Berlin or UTC",
    };
  }
}
