import { assertEquals, assertRejects } from "../assert.ts";
import { loadStack } from "../../src/config/load.ts";
import { ConfigError, formatIssue } from "../../src/domain/errors.ts";
import { expandDeferred, resolvePorts } from "../../src/domain/deferred.ts";
import { tempDir } from "../../src/testing/recorder.ts";

const noEnv = () => undefined;
const root = new URL("../../", import.meta.url).pathname;

async function errorsOf(dir: string, text: string): Promise<string[]> {
  const file = `${dir}/stack.yaml`;
  await Deno.writeTextFile(file, text);
  const error = await assertRejects(() => loadStack([file], { env: noEnv }), ConfigError);
  return error.issues.map((i) => formatIssue(i).slice(file.length + 1));
}

Deno.test("${ORCH_REPLICA + N} works in ports, commands, env and probes; the model keeps templates", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/stack.yaml`;
  await Deno.writeTextFile(
    file,
    `services:
  api:
    command: ./api --port \${ORCH_REPLICA + 8081} --peer \${8081 + ORCH_REPLICA}
    env: { PORT: "\${ORCH_REPLICA * 2 + 9000}", SHELL_MATH: "$((ORCH_REPLICA + 1))" }
    replicas: 3
    ports: ["8080:\${ORCH_REPLICA + 8081}", "127.0.0.1:\${ORCH_REPLICA + 9100}:\${ORCH_REPLICA + 9000}/tcp"]
    health:
      http: { url: "http://127.0.0.1:\${ORCH_REPLICA + 8081}/health" }
`,
  );
  const { api } = (await loadStack([file], { env: noEnv })).stack.services;
  assertEquals(api.ports[0], {
    hostIp: undefined,
    hostPort: 8080,
    containerPort: "${ORCH_REPLICA + 8081}",
    protocol: "tcp",
  });
  assertEquals(resolvePorts(api, 2), [
    { hostIp: undefined, hostPort: 8080, containerPort: 8083, protocol: "tcp" },
    { hostIp: "127.0.0.1", hostPort: 9102, containerPort: 9002, protocol: "tcp" },
  ]);
  const vars = { ORCH_REPLICA: "2" };
  assertEquals(
    expandDeferred((api.command as { shell: string }).shell, vars),
    "./api --port 8083 --peer 8083",
  );
  assertEquals(expandDeferred(api.env.PORT, vars), "9004");
  assertEquals(
    expandDeferred(api.env.SHELL_MATH, vars),
    "$((ORCH_REPLICA + 1))",
    "the shell's own",
  );
  assertEquals(expandDeferred(api.health!.http!.url, vars), "http://127.0.0.1:8083/health");
  assertEquals(
    expandDeferred("${ORCH_REPLICA - 1} ${2 * ORCH_REPLICA * 3} $${ORCH_REPLICA + 1}", vars),
    "1 12 ${ORCH_REPLICA + 1}",
  );
});

Deno.test("the seed stack's replicated container on one host port validates (orch spreads it)", async () => {
  const { stack } = await loadStack([`${root}examples/seeds/orco-stack.yaml`], { env: noEnv });
  assertEquals([stack.services.api.runtime, stack.services.api.replicas], ["docker", 2]);
  assertEquals(resolvePorts(stack.services.api, 1)[0].hostPort, 8080);
});

Deno.test("replicated processes that would share a port are errors with the fix as a hint", async () => {
  await using dir = await tempDir();
  const svc = (ports: string, extra = "") =>
    `services:\n  api:\n    command: x\n    replicas: 2\n    ports: [${ports}]\n${extra}`;
  const hint = `(use "8080:\${ORCH_REPLICA + 8081}": orch listens on 8080 and spreads ` +
    `connections over the replicas, each listening on its own port)`;
  assertEquals(await errorsOf(dir.path, svc(`"8080:8080"`)), [
    `5:13: services.api.ports[0]: replicas 0 and 1 would both listen on port 8080 ${hint}`,
  ]);
  assertEquals(await errorsOf(dir.path, svc(`"8080"`)), [
    `5:13: services.api.ports[0]: replicas 0 and 1 would both listen on port 8080 ${hint}`,
  ]);
  assertEquals(await errorsOf(dir.path, svc(`"8080:\${ORCH_REPLICA + 8080}"`)), [
    `5:13: services.api.ports[0]: replica 0 would listen on port 8080, where orch listens for all 2 replicas ${hint}`,
  ]);
  assertEquals(await errorsOf(dir.path, svc(`"53:\${ORCH_REPLICA + 5300}/udp"`)), [
    `5:13: services.api.ports[0]: 2 replicas cannot share UDP port 53: orch spreads TCP connections only (give each replica its own port, e.g. "\${ORCH_REPLICA + 53}/udp")`,
  ]);
  assertEquals(await errorsOf(dir.path, svc(`"\${ORCH_REPLICA + 65535}"`)), [
    `5:13: services.api.ports[0]: "\${ORCH_REPLICA + 65535}" gives no port from 1 to 65535 for replica 1`,
  ]);
  // What works: one host port spread over per-replica ports, or one port per replica.
  for (
    const ports of [
      `"8080:\${ORCH_REPLICA + 8081}"`,
      `"\${ORCH_REPLICA + 8080}"`,
      `"\${ORCH_REPLICA + 9000}:\${ORCH_REPLICA + 8000}"`,
    ]
  ) {
    const file = `${dir.path}/stack.yaml`;
    await Deno.writeTextFile(file, svc(ports));
    await loadStack([file], { env: noEnv });
  }
});

Deno.test("two services on one host port, or processes on one port, are errors naming the other", async () => {
  await using dir = await tempDir();
  assertEquals(
    await errorsOf(
      dir.path,
      `services:
  web: { image: nginx, ports: ["8080:80"] }
  api: { image: api, ports: ["127.0.0.1:8080:80"] }
  db: { command: x, ports: ["5432"] }
  db2: { command: x, ports: ["6000:5432"] }
  other: { image: x, ports: ["127.0.0.2:9000:80", "127.0.0.3:9000:80"] }
  hostnet: { image: x, network: host, ports: ["8080"] }
  off: { command: x, enabled: false, ports: ["5432"] }
`,
    ),
    [
      `3:30: services.api.ports[0]: port 8080/tcp is also used by "web" (ports[0])`,
      `5:30: services.db2.ports[0]: port 5432/tcp is also used by "db" (ports[0])`,
      `7:47: services.hostnet.ports[0]: port 8080/tcp is also used by "web" (ports[0])`,
    ],
  );
});

Deno.test("ports take only ORCH_REPLICA templates, and arithmetic is integers, + - *", async () => {
  await using dir = await tempDir();
  const svc = (port: string) => `services:\n  a:\n    command: x\n    ports: ["${port}"]\n`;
  assertEquals(await errorsOf(dir.path, svc("${ORCH_SERVICE}")), [
    `4:13: services.a.ports[0]: only \${ORCH_REPLICA} and arithmetic on it (\${ORCH_REPLICA + 8081}) give a port, not "\${ORCH_SERVICE}"`,
  ]);
  assertEquals(await errorsOf(dir.path, svc("${ORCH_REPLICA / 2}")), [
    `4:13: services.a.ports[0]: bad variable reference "\${ORCH_REPLICA / 2}" (arithmetic on ORCH_REPLICA takes integers, +, - and *)`,
  ]);
  assertEquals(await errorsOf(dir.path, svc("${ORCH_REPLICA - 1}")), [
    `4:13: services.a.ports[0]: "\${ORCH_REPLICA - 1}" does not give a port from 1 to 65535 for replica 0`,
  ]);
});
