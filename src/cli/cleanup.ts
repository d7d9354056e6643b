/**
 * What `orch down` does when no orch runs: kill the processes and remove the containers and cgroups
 * a crashed orch of the project left.
 *
 * @module
 */
import { DockerRuntime } from "../runtime/docker/mod.ts";
import { killLeftovers } from "../runtime/process/mod.ts";
import { stateDir } from "./state.ts";

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
