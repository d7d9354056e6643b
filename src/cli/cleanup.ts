/**
 * What `orch down` does when no orch runs: kill the processes and remove the containers and cgroups
 * a crashed orch of the project left; and whether the orch it stopped has really ended.
 *
 * @module
 */
import { DockerRuntime } from "../runtime/docker/runtime.ts";
import { killLeftovers } from "../runtime/process/leftovers.ts";
import { processStart, stateDir } from "./state.ts";

/** Whether the process that started at `started` (clock ticks; undefined: unknown) has ended. */
export function ended(pid: number, started: number | undefined): boolean {
  return started === undefined || processStart(pid) !== started;
}

/** Cleans up after a crashed orch of `project`; returns the lines to print (none: nothing left). */
export async function cleanUpAfterCrash(
  project: string,
  dockerHost: string | undefined,
): Promise<string[]> {
  const said: string[] = [];
  const killed = await killLeftovers(stateDir(project), project);
  if (killed.length > 0) said.push(`killed ${killed.length} process(es) left by an earlier orch\n`);
  const docker = new DockerRuntime({ project, dockerHost });
  const removed = await docker.removeLeftovers().catch(() => []);
  await docker.close();
  if (removed.length > 0) {
    said.push(
      `removed ${removed.length} container(s) left by an earlier orch: ${removed.join(", ")}\n`,
    );
  }
  return said;
}
