import { assertEquals, assertMatch, assertThrows } from "../assert.ts";
import {
  instanceEnv,
  instanceId,
  instanceProbes,
  instanceVars,
  layerEnv,
  resolveInstance,
} from "../../src/domain/instance.ts";
import { testHealth, testService } from "../../src/testing/fixtures.ts";

const ref = { service: "api", replica: 2, id: "api.2", stack: "shop" };

Deno.test("an instance's id and variables", () => {
  assertEquals(instanceId("api", 0, false), "api");
  assertEquals(instanceId("api", 2, true), "api.2");
  assertEquals(instanceVars(ref), {
    ORCH_REPLICA: "2",
    ORCH_SERVICE: "api",
    ORCH_INSTANCE: "api.2",
    ORCH_STACK: "shop",
  });
});

Deno.test("the environment: inherited (processes only), env files in order, declared, orch's", () => {
  const svc = testService({
    name: "api",
    env: { PORT: "${ORCH_REPLICA + 8080}", SHARED: "declared", COST: "$$5" },
    envFiles: ["/a.env", "/b.env"],
  });
  const files = new Map<string, Record<string, string>>([
    ["/a.env", { SHARED: "a", A: "1", ORCH_REPLICA: "from a file" }],
    ["/b.env", { A: "2" }],
  ]);
  const vars = instanceVars(ref);
  const env = instanceEnv(svc, vars, {
    baseEnv: { PATH: "/bin", SHARED: "base" },
    envFiles: files,
  });
  assertEquals(env, {
    PATH: "/bin",
    SHARED: "declared",
    A: "2",
    PORT: "8082",
    COST: "$5",
    ...vars,
  });
  const container = instanceEnv({ ...svc, runtime: "docker" }, vars, {
    baseEnv: { PATH: "/bin" },
    envFiles: files,
  });
  assertEquals(container.PATH, undefined, "a container does not inherit orch's environment");
  assertEquals(container.A, "2");
});

Deno.test("a variable named __proto__ is a variable like any other", () => {
  const env = layerEnv({
    files: [JSON.parse('{"__proto__": "from a file"}')],
    declared: JSON.parse('{"constructor": "declared"}'),
    vars: {},
  });
  assertEquals(Object.getPrototypeOf(env), Object.prototype);
  assertEquals(Object.getOwnPropertyDescriptor(env, "__proto__")?.value, "from a file");
  assertEquals(Object.hasOwn(env, "constructor"), true);
});

Deno.test("resolving an instance expands its command, entrypoint and ports for its replica", () => {
  const svc = testService({
    name: "api",
    runtime: "docker",
    image: "busybox",
    command: { exec: ["serve", "--id", "${ORCH_INSTANCE}", "$$HOME"] },
    entrypoint: ["/bin/${ORCH_SERVICE}"],
    replicas: 3,
    ports: [{
      hostIp: undefined,
      hostPort: "${ORCH_REPLICA + 9000}",
      containerPort: 80,
      protocol: "tcp",
    }],
  });
  const resolved = resolveInstance(svc, ref, {});
  assertEquals(resolved.service.command, { exec: ["serve", "--id", "api.2", "$HOME"] });
  assertEquals(resolved.service.entrypoint, ["/bin/api"]);
  assertEquals(resolved.ports, [{
    hostIp: undefined,
    hostPort: 9002,
    containerPort: 80,
    protocol: "tcp",
  }]);
  assertEquals([resolved.instance, resolved.replica, resolved.stack], ["api.2", 2, "shop"]);
  assertEquals(resolved.env.ORCH_INSTANCE, "api.2");
  const given = resolveInstance(svc, ref, { ports: [] });
  assertEquals(given.ports, [], "the engine's routing decides how ports are published");
  const shell = resolveInstance(
    testService({ name: "x", command: { shell: "echo $$ ${ORCH_REPLICA}" } }),
    ref,
  );
  assertEquals(shell.service.command, { shell: "echo $ 2" });
  const bad = testService({
    name: "api",
    ports: [{
      hostIp: undefined,
      hostPort: undefined,
      containerPort: "${ORCH_REPLICA * 70000}",
      protocol: "tcp",
    }],
  });
  assertMatch(
    assertThrows(() => resolveInstance(bad, ref)).message,
    /does not give a port from 1 to 65535/,
  );
});

Deno.test("an instance's probes have its variables expanded", () => {
  const health = testHealth({
    http: {
      url: "http://127.0.0.1:${ORCH_REPLICA + 8000}/health",
      method: "GET",
      headers: {},
      expectStatus: [],
    },
    tcp: { address: "127.0.0.1:${ORCH_REPLICA + 5000}" },
    cmd: { command: { exec: ["check", "${ORCH_INSTANCE}"] }, inContainer: true },
    log: { pattern: "ready", sources: ["stdout"] },
  });
  const probes = instanceProbes(health, instanceVars(ref));
  assertEquals(probes.http?.url, "http://127.0.0.1:8002/health");
  assertEquals(probes.tcp, { address: "127.0.0.1:5002" });
  assertEquals(probes.cmd, { command: { exec: ["check", "api.2"] }, inContainer: true });
  assertEquals(instanceProbes(testHealth({}), {}), {});
});
