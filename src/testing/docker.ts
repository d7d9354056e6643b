/**
 * Whether the Docker tests can run here: a reachable engine with the local busybox image. Without
 * one they are skipped with a message; with ORCH_DOCKER_TESTS=require a missing engine fails them.
 *
 * @module
 */
import { DockerClient, endpointFrom } from "../runtime/docker/client.ts";

/** The image the Docker tests run (../shared/docker/docker-setup.sh imports it). */
export const TEST_IMAGE = "local/busybox:latest";

/** Why the Docker tests cannot run, or undefined when they can. */
export async function dockerProblem(): Promise<string | undefined> {
  const client = new DockerClient(endpointFrom(Deno.env.get("DOCKER_HOST")));
  try {
    await client.negotiate();
    if (!await client.hasImage(TEST_IMAGE)) {
      return `the image ${TEST_IMAGE} is missing (run ../shared/docker/docker-setup.sh)`;
    }
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    client.close();
  }
}

/** A test that needs the Docker engine (skipped without one unless it is required). */
export function dockerTest(
  problem: string | undefined,
  name: string,
  fn: () => Promise<void>,
): void {
  const required = Deno.env.get("ORCH_DOCKER_TESTS") === "require";
  Deno.test({
    name: `docker: ${name}`,
    ignore: problem !== undefined && !required,
    async fn() {
      if (problem) {
        throw new Error(`a Docker engine is required (ORCH_DOCKER_TESTS=require): ${problem}`);
      }
      await fn();
    },
  });
}
