/**
 * The preflight of `resources`: which limits of a stack's process services this machine can apply,
 * and why not when it cannot, so that a limit is never silently ignored.
 *
 * @module
 */
import { shortHash, type Stack } from "../../domain/mod.ts";
import { newRunId } from "../process/markers.ts";
import {
  type CgroupSetup,
  type ContainmentChoice,
  detectCgroups,
  type Limit,
  setupDirs,
} from "./detect.ts";

/** A limit that cannot be applied, by service and field. */
export interface LimitFinding {
  readonly service: string;
  readonly field: string;
  readonly message: string;
}

const FIELD: Record<Limit, "memoryBytes" | "cpus" | "pids"> = {
  memory: "memoryBytes",
  cpus: "cpus",
  pids: "pids",
};

/**
 * The limits of `stack`'s process services that cannot be applied here, for `project`: the machine
 * is probed for it (and what the probe made is removed).
 */
export function limitFindings(
  stack: Stack,
  project: string,
  choice: ContainmentChoice,
): Promise<LimitFinding[]> {
  return limitsUnder(stack, async () => {
    const setup = await detectCgroups(await shortHash(project), newRunId(), choice);
    // Detection made the project's directories; they are made again when the stack starts.
    for (const dir of setupDirs(setup)) {
      try {
        Deno.removeSync(dir);
      } catch {
        // in use
      }
    }
    return setup;
  });
}

/**
 * The limits of `stack`'s process services that the containment `setup` gives cannot apply
 * (`setup` is asked for only when a service has limits).
 */
export async function limitsUnder(
  stack: Stack,
  setup: () => Promise<CgroupSetup>,
): Promise<LimitFinding[]> {
  const limited = Object.values(stack.services).filter((s) =>
    s.enabled && s.runtime === "process" && s.resources
  );
  if (limited.length === 0) return [];
  const { limits } = await setup();
  const findings: LimitFinding[] = [];
  for (const svc of limited) {
    for (const limit of ["memory", "cpus", "pids"] as const) {
      const where = limits[limit];
      if (svc.resources![FIELD[limit]] === undefined || typeof where !== "string") continue;
      findings.push({
        service: svc.name,
        field: `resources.${limit}`,
        message: `not applied on this machine: ${where}`,
      });
    }
  }
  return findings;
}
