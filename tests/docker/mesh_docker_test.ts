/**
 * Orch's routing mesh for containers, on a real engine: replicas behind one published port,
 * during a rolling apply and a scale-up.
 */
import { assert, assertEquals } from "../assert.ts";
import { loadStack } from "../../src/config/load.ts";
import { testStack } from "../../src/testing/engine.ts";
import { freePort } from "../../src/testing/net.ts";
import { getOnce, hammer } from "../../src/testing/mesh.ts";
import { waitFor } from "../../src/testing/deadline.ts";
import { containersOf, dockerTest, IMAGE, ready } from "./harness.ts";

/** The Orco seed's `api` with busybox: two replicas behind one published port, rolling apply. */
function meshStack(port: number, version: string): string {
  return `
services:
  api:
    runtime: docker
    image: ${IMAGE}
    env: { VERSION: "${version}" }
    command:
      - sh
      - -c
      - >-
        mkdir -p /www && echo "replica $ORCH_REPLICA $VERSION" > /www/index.html &&
        httpd -f -p 8080 -h /www & pid=$!;
        trap 'sleep 0.5; kill $pid; exit 0' TERM; wait
    health:
      http: { url: "http://localhost:${port}/" }
      interval: 200ms
    ports: ["127.0.0.1:${port}:8080"]
    replicas: 2
`;
}

dockerTest(
  "two container replicas behind one published port answer through it, during a rolling apply too",
  async () => {
    const port = freePort();
    await using t = await testStack(meshStack(port, "v1"));
    t.engine.start();
    await ready(t, "api", 2);
    const containers = await containersOf(t.dir);
    assertEquals(containers.length, 2);
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add(await getOnce(port));
    assertEquals([...seen].sort(), ["replica 0 v1", "replica 1 v1"]);

    const client = hammer(port);
    // The client's answers are no engine events: look at them on a timer, not on events.
    await waitFor(() => [...client.answers.values()].reduce((a, b) => a + b, 0) > 10, "load");
    await Deno.writeTextFile(`${t.dir}/stack.yaml`, meshStack(port, "v2"));
    const result = await t.engine.apply((await loadStack([`${t.dir}/stack.yaml`])).stack);
    await waitFor(
      () => (client.answers.get("replica 1 v2") ?? 0) > 3,
      () => `v2 answering (answers: ${JSON.stringify(Object.fromEntries(client.answers))})`,
      60_000,
    );
    await client.stop();
    assertEquals(result.failed, {});
    assertEquals(client.failures, [], `${client.failures.length} failed requests`);
    const answers = Object.fromEntries(client.answers);
    assert(answers["replica 0 v2"] > 0 && answers["replica 1 v2"] > 0, JSON.stringify(answers));
  },
);

dockerTest(
  "scaling a container with a published port from 1 to 2 puts both behind it",
  async () => {
    const port = freePort();
    await using t = await testStack(meshStack(port, "v1").replace("replicas: 2", "replicas: 1"));
    t.engine.start();
    await ready(t, "api", 1);
    assertEquals(await getOnce(port), "replica 0 v1", "one container publishes the port itself");
    await t.engine.scale("api", 2);
    await ready(t, "api", 2);
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add(await getOnce(port));
    assertEquals([...seen].sort(), ["replica 0 v1", "replica 1 v1"]);
  },
);
