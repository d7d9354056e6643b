/**
 * Prometheus text exposition of the stack's state: per instance state, readiness, restarts, uptime,
 * CPU seconds and resident memory of its process group, and the latency of its last probes.
 *
 * @module
 */
import { INSTANCE_STATES, type InstanceStatus } from "../domain/state.ts";
import type { RunInfo } from "./controller.ts";

function label(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/** Renders the metrics page. */
export function renderMetrics(
  info: RunInfo,
  instances: readonly InstanceStatus[],
  now: number,
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
  return out.join("\n") + "\n";
}
