/**
 * Service-level summaries of instance states, as the status table, the API and the TUI show them.
 *
 * @module
 */
import type { InstanceState, InstanceStatus } from "./state.ts";

/** One row of the status table. */
export interface ServiceSummary {
  readonly service: string;
  /** The state that best describes the service (the worst one among its instances). */
  readonly state: InstanceState;
  readonly ready: number;
  readonly replicas: number;
  readonly restarts: number;
  /** When the oldest live instance started, or when the state was entered. */
  readonly since: number;
  readonly message: string;
  readonly cpuSeconds?: number;
  readonly rssBytes?: number;
}

// Which instance state describes a service when its replicas differ: the most troubled one.
const WEIGHT: Record<InstanceState, number> = {
  failed: 9,
  backoff: 8,
  waiting: 7,
  starting: 6,
  running: 5,
  stopping: 4,
  ready: 3,
  completed: 2,
  stopped: 1,
  pending: 0,
};

/** Groups instances by service (in their order) and summarizes each group. */
export function summarize(instances: readonly InstanceStatus[]): ServiceSummary[] {
  const groups = new Map<string, InstanceStatus[]>();
  for (const i of instances) {
    const list = groups.get(i.service) ?? [];
    list.push(i);
    groups.set(i.service, list);
  }
  return [...groups.entries()].map(([service, list]) => {
    const worst = list.reduce((a, b) => (WEIGHT[b.state] > WEIGHT[a.state] ? b : a));
    const started = list.flatMap((i) => (i.startedAt !== undefined ? [i.startedAt] : []));
    const usage = list.filter((i) => i.usage);
    return {
      service,
      state: worst.state,
      ready: list.filter((i) => i.state === "ready" || i.state === "completed").length,
      replicas: list.filter((i) => i.want === "up").length,
      restarts: list.reduce((n, i) => n + i.restarts, 0),
      since: started.length > 0 && (worst.state === "ready" || worst.state === "running")
        ? Math.min(...started)
        : worst.since,
      message: list.length > 1 && worst.message ? `${worst.id}: ${worst.message}` : worst.message,
      ...(usage.length > 0
        ? {
          cpuSeconds: usage.reduce((n, i) => n + i.usage!.cpuSeconds, 0),
          rssBytes: usage.reduce((n, i) => n + i.usage!.rssBytes, 0),
        }
        : {}),
    };
  });
}

/** An age as the status table shows it: `58s`, `1m12s`, `3h4m`, `2d1h`. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ""}`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

/** Bytes for people: `812K`, `34.5M`, `1.2G`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`;
  const units = ["K", "M", "G", "T"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)}${units[unit]}`;
}
