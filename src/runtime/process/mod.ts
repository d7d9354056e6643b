/**
 * The process runtime: Deno.Command spawns in their own groups (and cgroups), signals, resource
 * use, the marks that find a crashed orch's leftovers, limits, the PID 1 reaper, task workspaces.
 *
 * @module
 */
export {
  type CgroupSetup,
  type ContainmentChoice,
  type ContainmentMode,
  detectCgroups,
  type LimitFinding,
  limitFindings,
  limitsUnder,
  parseContainment,
  parseMounts,
  setupDirs,
} from "../cgroups/mod.ts";
export { killLeftovers, type UnitRecord } from "./leftovers.ts";
export { type Libc, type LibcResult, openLibc } from "./libc.ts";
export { MARKER, newRunId, scanMarks } from "./markers.ts";
export { processStart, type ProcInfo, readProcess } from "./procstat.ts";
export { Reaper, type ReaperOptions } from "./reaper.ts";
export {
  detectContainment,
  findProgram,
  ProcessRuntime,
  type ProcessRuntimeOptions,
  withTerminal,
} from "./runtime.ts";
export { TaskWorkspace } from "./workspace.ts";
