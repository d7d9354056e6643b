/**
 * The status snapshot, made in one place: the run, the time, one summary row per service and
 * every instance. `GET /v1/status`, `orch status`, the TUI and the dashboard all show this shape.
 *
 * @module
 */
import { type InstanceStatus, summarize } from "../domain/mod.ts";
import type { RunInfo, ServiceStatus, StatusSnapshot } from "./control.ts";

/** The snapshot of a stack whose instances are `instances`, taken at `now`. */
export function statusSnapshot(
  info: RunInfo,
  instances: readonly InstanceStatus[],
  now: number,
): StatusSnapshot {
  return { ...info, now, services: summarize(instances), instances: [...instances] };
}

/** One service's part of the stack's instances: its summary (null without instances) and them. */
export function serviceStatus(name: string, instances: readonly InstanceStatus[]): ServiceStatus {
  const own = instances.filter((i) => i.service === name);
  return { service: summarize(own)[0] ?? null, instances: own };
}
