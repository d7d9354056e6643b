/**
 * Where orch may put its services' cgroups (the hierarchies mounted, orch's own place in each, and
 * whether it may create cgroups there), and which of a stack's limits this machine can apply: what
 * the process runtime spawns into, and what `orch validate` checks, without the runtime itself.
 *
 * @module
 */
export {
  type CgroupSetup,
  CONTAINMENT_CHOICES,
  type ContainmentChoice,
  type ContainmentMode,
  CONTROLLER,
  detectCgroups,
  type Hierarchy,
  type Limit,
  type Mount,
  parseContainment,
  parseMounts,
  setupDirs,
} from "./detect.ts";
export { type LimitFinding, limitFindings, limitsUnder } from "./limits.ts";
