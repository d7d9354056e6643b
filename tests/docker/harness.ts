/**
 * What the Docker tests share: the local image, the engine check (skipped without an engine,
 * failed with ORCH_DOCKER_TESTS=require), the project's containers, readiness of n instances.
 *
 * @module
 */
import { DockerClient, endpointFrom } from "../../src/runtime/docker/client.ts";
import { LABEL } from "../../src/runtime/docker/runtime.ts";
import type { TestStack } from "../../src/testing/engine.ts";

/** The image docker-setup.sh imports. */
export const IMAGE = "local/busybox:latest";
const required = Deno.env.get("ORCH_DOCKER_TESTS") === "require";

async function engineState(): Promise<string | undefined> {
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

const problem = await engineState();
if (problem && !required) console.error(`tests/docker: SKIPPED: ${problem}`);

/** A test that needs the engine. */
export function dockerTest(name: string, fn: () => Promise<void>) {
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
