/**
 * What the Docker tests share: the local image, the engine check (skipped without an engine,
 * failed with ORCH_DOCKER_TESTS=require), the project's containers, readiness of n instances.
 *
 * @module
 */
import { DockerClient, endpointFrom } from "../../src/runtime/docker/client.ts";
import { LABEL } from "../../src/runtime/docker/runtime.ts";
import type { TestStack } from "../../src/testing/engine.ts";
import { dockerTests, IMAGE } from "../../src/testing/docker.ts";

export { IMAGE };

/** A test that needs the engine ("docker: NAME"), gated as src/testing/docker.ts says. */
export const dockerTest = await dockerTests("docker");

/** The containers of a project, by its label. */
export async function containersOf(
  project: string,
): Promise<{ Id: string; State: string; Labels: Record<string, string> }[]> {
  const client = new DockerClient(endpointFrom(Deno.env.get("DOCKER_HOST")));
  try {
    return await client.json("GET", "/containers/json", {
      query: { all: true, filters: JSON.stringify({ label: [`${LABEL.project}=${project}`] }) },
    });
  } finally {
    client.close();
  }
}

/** Waits for n instances of a service to be ready. */
export const ready = (t: TestStack, service: string, n = 1) =>
  t.events.until(
    () => t.engine.status().filter((s) => s.service === service && s.state === "ready").length >= n,
    `${service} ready`,
    30_000,
  );
