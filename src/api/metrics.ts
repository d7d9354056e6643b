/**
 * Prometheus text exposition of the stack's state: per instance state, readiness, restarts, uptime,
 * CPU seconds and resident memory of its process group, and the latency of its last probes; and,
 * from the event bus, events by type and what slow readers skipped.
 *
 * @module
 */
import { INSTANCE_STATES, type InstanceStatus, type OrchEvent } from "../domain/mod.ts";
import type { RunInfo } from "../control/mod.ts";

/**
 * Counts kept from the event bus: events by type, and what slow readers skipped (log lines or
 * events, by reader). Fed every event (`observe`), read by `renderMetrics`.
 */
export class EventCounters {
  readonly #events = new Map<string, number>();
  readonly #dropped = new Map<string, { of: string; consumer: string; count: number }>();

  /** Counts one event. */
  readonly observe = (event: OrchEvent): void => {
    this.#events.set(event.type, (this.#events.get(event.type) ?? 0) + 1);
    if (event.type !== "dropped") return;
    const key = `${event.of}\u0000${event.consumer}`;
    const entry = this.#dropped.get(key) ?? { of: event.of, consumer: event.consumer, count: 0 };
    entry.count += event.count;
    this.#dropped.set(key, entry);
  };

  /** Events seen, by type. */
  events(): [string, number][] {
    return [...this.#events];
  }

  /** Items skipped for slow readers, by what they are and who reads. */
  dropped(): { of: string; consumer: string; count: number }[] {
    return [...this.#dropped.values()];
  }
}

function label(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/** Renders the metrics page. */
export function renderMetrics(
  info: RunInfo,
  instances: readonly InstanceStatus[],
  now: number,
  counters?: EventCounters,
): string {
  const out: string[] = [];
  const family = (name: string, type: string, help: string, rows: [string, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of rows) out.push(`${name}{${labels}} ${value}`);
  };
  const base = (i: InstanceStatus) =>
    `stack="${label(info.stack)}",service="${label(i.service)}",replica="${i.replica}"`;
  family(
    "orch_info",
    "gauge",
    "The running orch.",
    [[`stack="${label(info.stack)}",version="${label(info.version)}"`, 1]],
  );
  family(
    "orch_up_seconds",
    "gauge",
    "Seconds since this orch started.",
    [[`stack="${label(info.stack)}"`, (now - info.startedAt) / 1000]],
  );
  if (info.logs) {
    family(
      "orch_log_records_lost_total",
      "counter",
      "Log records that could not be written to the persisted log (a full disk).",
      [[`stack="${label(info.stack)}"`, info.logs.lostRecords]],
    );
    family(
      "orch_log_persistence_failing",
      "gauge",
      "1 while writing the persisted log fails.",
      [[`stack="${label(info.stack)}"`, info.logs.failing ? 1 : 0]],
    );
  }
  family(
    "orch_service_state",
    "gauge",
    "1 for the state each instance is in, 0 for the others.",
    instances.flatMap((i) =>
      INSTANCE_STATES.map((s) =>
        [`${base(i)},state="${s}"`, i.state === s ? 1 : 0] as [string, number]
      )
    ),
  );
  family(
    "orch_service_ready",
    "gauge",
    "1 when the instance is ready (a oneshot: completed).",
    instances.map((i) => [base(i), i.state === "ready" || i.state === "completed" ? 1 : 0]),
  );
  family(
    "orch_service_restarts_total",
    "counter",
    "Restarts of the instance.",
    instances.map((i) => [base(i), i.restarts]),
  );
  family(
    "orch_service_uptime_seconds",
    "gauge",
    "Seconds since the instance's current process started (0 when not running).",
    instances.map((i) => [
      base(i),
      i.startedAt !== undefined && ["running", "ready", "stopping"].includes(i.state)
        ? (now - i.startedAt) / 1000
        : 0,
    ]),
  );
  const used = instances.filter((i) => i.usage);
  family(
    "orch_service_cpu_seconds_total",
    "counter",
    "CPU time (user and system) of the instance's process group.",
    used.map((i) => [base(i), i.usage!.cpuSeconds]),
  );
  family(
    "orch_service_memory_rss_bytes",
    "gauge",
    "Resident memory of the instance's process group.",
    used.map((i) => [base(i), i.usage!.rssBytes]),
  );
  family(
    "orch_probe_latency_seconds",
    "gauge",
    "Latency of the last run of each probe.",
    instances.flatMap((i) =>
      Object.entries(i.probes).map(([probe, p]) =>
        [`${base(i)},probe="${probe}",outcome="${p.outcome}"`, p.latencyMs / 1000] as [
          string,
          number,
        ]
      )
    ),
  );
  if (counters) {
    const stack = `stack="${label(info.stack)}"`;
    family(
      "orch_events_total",
      "counter",
      "Events on orch's event bus, by type.",
      counters.events().map(([type, n]) => [`${stack},type="${label(type)}"`, n]),
    );
    family(
      "orch_dropped_total",
      "counter",
      "Log lines or events skipped for a reader that fell behind (all are in the log files).",
      counters.dropped().map((d) => [
        `${stack},of="${label(d.of)}",consumer="${label(d.consumer)}"`,
        d.count,
      ]),
    );
  }
  return out.join("\n") + "\n";
}
