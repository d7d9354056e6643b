/**
 * Flows: cron and triggers, the run DAG as a pure table, executors and slots, behind the ports
 * the scheduler declares (the history store, task logs, workspaces, the services' view).
 *
 * @module
 */
export * from "./ports.ts";
export { commandLine, execFlow, type ExecSpec } from "./adhoc.ts";
export {
  type FlowStatus,
  Scheduler,
  type SchedulerStatus,
  type StartOptions,
  type TriggerOptions,
  type TriggerResult,
} from "./scheduler.ts";
