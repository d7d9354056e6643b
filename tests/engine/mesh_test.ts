/**
 * The routing mesh with real processes: replicas behind one published port, each on its own.
 */
import { assert, assertEquals } from "../assert.ts";
import { loadStack } from "../../src/config/load.ts";
import type { Stack } from "../../src/domain/model.ts";
import { type TestStack, testStack } from "../../src/testing/engine.ts";
import { freePort } from "../../src/testing/net.ts";
import { freeStaticPorts, getOnce, hammer, REPLICA_SERVER } from "../../src/testing/mesh.ts";
import { directAddress, publishedPorts, replicaRoutes } from "../../src/engine/mesh.ts";
import { waitFor } from "../../src/testing/deadline.ts";

function meshStack(port: number, base: number, version: string, extra = ""): string {
  return `
services:
  api:
    replicas: 2
    env: { VERSION: "${version}" }
    command: "exec python3 -u server.py $((${base} + ORCH_REPLICA))"
    ports: ["127.0.0.1:${port}:\${ORCH_REPLICA + ${base}}"]
    health:
      http: { url: "http://127.0.0.1:${port}/" }
      interval: 100ms
      failureThreshold: 1${extra}
`;
}

interface Meshed extends TestStack {
  readonly port: number;
  reload(version: string): Promise<Stack>;
}

async function meshed(version = "v1", extra = ""): Promise<Meshed> {
  const port = freePort();
  const base = freeStaticPorts(4);
  const t = await testStack(meshStack(port, base, version, extra));
  await Deno.writeTextFile(`${t.dir}/server.py`, REPLICA_SERVER);
  const reload = async (v: string) => {
    await Deno.writeTextFile(`${t.dir}/stack.yaml`, meshStack(port, base, v, extra));
    return (await loadStack([`${t.dir}/stack.yaml`])).stack;
  };
  return Object.assign(t, { port, reload });
}

const readyCount = (t: TestStack) =>
  t.engine.status().filter((s) => s.service === "api" && s.state === "ready").length;

Deno.test("two replicas behind one published port both answer through it", async () => {
  await using t = await meshed();
  t.engine.start();
  await t.events.until(() => readyCount(t) === 2, "both replicas ready");
  const seen = new Set<string>();
  for (let i = 0; i < 10; i++) seen.add(await getOnce(t.port));
  assertEquals([...seen].sort(), ["replica 0 v1", "replica 1 v1"]);
});

Deno.test("the published port keeps answering during a rolling apply", async () => {
  await using t = await meshed();
  t.engine.start();
  await t.events.until(() => readyCount(t) === 2, "both replicas ready");
  const client = hammer(t.port);
  // The client's answers are no engine events: look at them on a timer, not on events.
  await waitFor(() => [...client.answers.values()].reduce((a, b) => a + b, 0) > 20, "load");
  const result = await t.engine.apply(await t.reload("v2"));
  await waitFor(
    () => (client.answers.get("replica 1 v2") ?? 0) > 5,
    () => `v2 answering (answers: ${JSON.stringify(Object.fromEntries(client.answers))})`,
    30_000,
  );
  await client.stop();
  assertEquals(result.failed, {});
  assertEquals(
    client.failures,
    [],
    `${client.failures.length} failed requests: ${client.failures}`,
  );
  const answers = Object.fromEntries(client.answers);
  assert(answers["replica 0 v2"] > 0 && answers["replica 1 v2"] > 0, JSON.stringify(answers));
});

Deno.test("an unready replica gets no traffic; with none ready, a connection waits for one", async () => {
  await using t = await meshed(
    "v1",
    `
      cmd: { command: "test ! -e down.\${ORCH_REPLICA}" }
      expression: http && cmd
      onFailure: unready`,
  );
  t.engine.start();
  await t.events.until(() => readyCount(t) === 2, "both replicas ready");
  await Deno.writeTextFile(`${t.dir}/down.1`, "");
  await t.events.until(() => readyCount(t) === 1, "replica 1 unready");
  const seen = new Set<string>();
  for (let i = 0; i < 10; i++) seen.add(await getOnce(t.port));
  assertEquals([...seen], ["replica 0 v1"]);

  await Deno.writeTextFile(`${t.dir}/down.0`, "");
  await t.events.until(() => readyCount(t) === 0, "no replica ready");
  const waiting = getOnce(t.port);
  await Deno.remove(`${t.dir}/down.1`);
  assertEquals(await waiting, "replica 1 v1", "held until replica 1 was ready again");
});

Deno.test("which ports orch routes: the Orco seed's replicated api and surging db, not web", async () => {
  const { stack } = await loadStack([
    new URL("../../examples/seeds/orco-stack.yaml", import.meta.url).pathname,
  ]);
  const { api, db, web } = stack.services;
  const route = (s: typeof api, r: number) => replicaRoutes(s, r).map((p) => p.route);
  assertEquals(route(api, 0), [{ hostname: "0.0.0.0", port: 8080 }]);
  assertEquals(route(api, 1), [{ hostname: "0.0.0.0", port: 8080 }]);
  assertEquals(publishedPorts(api, 1), [
    { hostIp: "127.0.0.1", hostPort: undefined, containerPort: 8080, protocol: "tcp" },
  ]);
  assertEquals(
    route(db, 0),
    [{ hostname: "0.0.0.0", port: 5432 }],
    "maxSurge 1: old and new overlap",
  );
  assertEquals(route(web, 0), [undefined], "a process on its own port binds it itself");
  const endpoints = [{
    containerPort: 8080,
    protocol: "tcp" as const,
    hostIp: "127.0.0.1",
    hostPort: 49_153,
  }];
  assertEquals(directAddress(api, 1, endpoints, "localhost", 8080), {
    hostname: "127.0.0.1",
    port: 49_153,
  });
  assertEquals(directAddress(api, 1, endpoints, "localhost", 9999), undefined);
});

Deno.test("a process whose host side differs is forwarded; templates resolve per replica", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/stack.yaml`,
    `services:\n  one: { command: x, ports: ["8080:9090"] }\n` +
      `  many: { command: x, replicas: 3, ports: ["127.0.0.1:7000:\${ORCH_REPLICA + 7001}", "\${ORCH_REPLICA + 5300}/udp"] }\n`,
  );
  const { stack } = await loadStack([`${dir}/stack.yaml`]);
  await Deno.remove(dir, { recursive: true });
  const { one, many } = stack.services;
  assertEquals(replicaRoutes(one, 0)[0].route, { hostname: "0.0.0.0", port: 8080 });
  assertEquals(directAddress(one, 0, undefined, "127.0.0.1", 8080), {
    hostname: "127.0.0.1",
    port: 9090,
  });
  assertEquals(replicaRoutes(many, 2).map((p) => [p.mapping.containerPort, p.route?.port]), [
    [7003, 7000],
    [5302, undefined],
  ]);
  assertEquals(publishedPorts(many, 2)[0].hostPort, 7000, "a process publishes nothing itself");
});
