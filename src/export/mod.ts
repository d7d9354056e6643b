/**
 * Exporters: a Stack as Compose, Kubernetes manifests or a swarm plan, with what could not be
 * mapped.
 *
 * @module
 */
export { type ComposeExportOptions, composeName, exportCompose } from "./compose.ts";
export { exportK8s, type K8sObject } from "./k8s.ts";
export { cronJobs, k8sSchedule } from "./k8s_cron.ts";
export type { Exported, ExportNote } from "./notes.ts";
export {
  SWARM_LABEL,
  type SwarmPlan,
  swarmPlan,
  type SwarmPlanOptions,
  type SwarmService,
} from "./swarm.ts";
