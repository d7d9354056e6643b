/**
 * Gating for tests that need the Docker engine: skipped with a message when there is none, a
 * failure when `ORCH_DOCKER_TESTS=require` (as `.ci/run` sets). The image is local/busybox:latest,
 * which ../shared/docker/docker-setup.sh imports.
 *
 * @module
 */
import { DockerClient, endpointFrom } from "../runtime/docker/mod.ts";

/** The image every Docker test runs. */
export const IMAGE = "local/busybox:latest";

/** Why the engine cannot be used, or undefined when it can. */
export async function dockerProblem(): Promise<string | undefined> {
  const client = new DockerClient(endpointFrom(Deno.env.get("DOCKER_HOST")));
  try {
    await client.negotiate();
    if (!await client.hasImage(IMAGE)) {
      return `the image ${IMAGE} is missing (run ../shared/docker/docker-setup.sh)`;
    }
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    client.close();
  }
}

/** Declares tests that run against the engine, gated as the module says. */
export async function dockerTests(
  label: string,
): Promise<(name: string, fn: () => Promise<void>) => void> {
  const required = Deno.env.get("ORCH_DOCKER_TESTS") === "require";
  const problem = await dockerProblem();
  if (problem && !required) console.error(`${label}: SKIPPED: ${problem}`);
  return (name, fn) =>
    Deno.test({
      name: `${label}: ${name}`,
      ignore: problem !== undefined && !required,
      async fn() {
        if (problem) {
          throw new Error(`a Docker engine is required (ORCH_DOCKER_TESTS=require): ${problem}`);
        }
        await fn();
      },
    });
}
