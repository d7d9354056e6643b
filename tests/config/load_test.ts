import { assert, assertEquals, assertMatch, assertRejects } from "../assert.ts";
import { loadStack } from "../../src/config/load.ts";
import { ConfigError, formatIssue } from "../../src/domain/errors.ts";
import { tempDir } from "../../src/testing/recorder.ts";
import { SAMPLE_TOML, SAMPLE_YAML } from "../../src/config/samples.ts";

const root = new URL("../../", import.meta.url).pathname;
const noEnv = () => undefined;

async function errorsOf(files: string[], env = noEnv): Promise<string[]> {
  const error = await assertRejects(() => loadStack(files, { env }), ConfigError);
  return (error as ConfigError).issues.map(formatIssue);
}

async function writeConfig(dir: string, name: string, text: string): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, text);
  return path;
}

Deno.test("every seed document's example configuration validates", async () => {
  for (const file of ["orco-stack.yaml", "services.toml", "webapp.toml", "orchestrate.toml"]) {
    const { stack } = await loadStack([`${root}examples/seeds/${file}`], { env: noEnv });
    assert(Object.keys(stack.services).length >= 3, file);
  }
});

Deno.test("the stack.yaml example maps onto the model with defaults applied", async () => {
  const { stack } = await loadStack([`${root}examples/seeds/orco-stack.yaml`], { env: noEnv });
  const api = stack.services.api;
  assertEquals(api.runtime, "docker");
  assertEquals(api.replicas, 2);
  assertEquals(api.dependsOn, [{
    target: "db",
    require: "ready",
    timeoutMs: 60_000,
    restart: false,
  }]);
  assertEquals(api.restart.maxRetries, 10);
  assertEquals(api.restart.backoff.minMs, 500);
  assertEquals(api.restart.backoff.factor, 1.8);
  assertEquals(api.health?.intervalMs, 2000, "interval comes from defaults.health");
  assertEquals(api.health?.expression, {
    op: "or",
    left: { op: "probe", name: "http" },
    right: { op: "probe", name: "log" },
  });
  assertEquals(stack.services.web.command, { exec: ["./web", "--port=3000"] });
  assertEquals(stack.services.db.ports[0].containerPort, 5432);
  assert(Object.isFrozen(stack.services.api.dependsOn[0]), "the model is frozen");
});

Deno.test("the [[services]] format maps timeouts, args, scripts and depends_on", async () => {
  const { stack } = await loadStack([`${root}examples/seeds/services.toml`], { env: noEnv });
  const { nginx, app, worker } = stack.services;
  assertEquals(nginx.command, { exec: ["/usr/sbin/nginx", "-g", "daemon off;"] });
  assertEquals(app.dependsOn[0].target, "nginx");
  assertEquals(app.dependsOn[0].require, "ready");
  assertEquals(app.dependsOn[0].timeoutMs, 120_000);
  assertEquals(app.waitAfterMs, 3000);
  assertEquals(app.required, true);
  assertEquals(app.user, "appuser");
  assertEquals(worker.postScript?.timeoutMs, 5000);
  assertEquals(worker.stop.timeoutMs, 15_000);
  assertEquals(stack.shutdownTimeoutMs, 45_000);
});

Deno.test("orchestrate.toml depends_on means completed for oneshots and ready for services", async () => {
  const { stack } = await loadStack([`${root}examples/seeds/orchestrate.toml`], { env: noEnv });
  assertEquals(stack.services.server.dependsOn[0].require, "completed");
  assertEquals(stack.services.smoke.dependsOn[0].require, "ready");
  assertEquals(stack.services.server.health?.cmd?.command, {
    shell: "curl -sf http://127.0.0.1:18431/ > /dev/null",
  });
});

Deno.test("the samples written by init and --sample-toml are valid", async () => {
  await using dir = await tempDir();
  await loadStack([await writeConfig(dir.path, "orch.yaml", SAMPLE_YAML)], { env: noEnv });
  await loadStack([await writeConfig(dir.path, "orchestrate.toml", SAMPLE_TOML)], { env: noEnv });
});

Deno.test("every error is reported at once with file, line, column, path and did-you-mean", async () => {
  await using dir = await tempDir();
  const file = await writeConfig(
    dir.path,
    "stack.yaml",
    `version: 0.1
services:
  db:
    comand: ["x"]
    health:
      tcp: { address: "localhost:99999" }
      expression: tcp || http
  api:
    command: ./api
    kind: servce
    dependsOn:
      - target: dbb
      - target: web
        timeout: 5x
  web:
    command: ./web
    dependsOn: [api]
    replicas: -1
`,
  );
  const errors = await errorsOf([file]);
  const expected = [
    `${file}:4:5: services.db.comand: unknown field (did you mean "command"?)`,
    `${file}:10:11: services.api.kind: string "servce" is not one of: oneshot, service, daemon (did you mean "service"?)`,
    `${file}:14:18: services.api.dependsOn[1].timeout: expected a duration like "500ms", "2s" or "1m30s", got string "5x"`,
    `${file}:18:15: services.web.replicas: must be at least 0, got number -1`,
    `${file}:7:19: services.db.health.expression: names probe "http", which is not configured (configured: tcp)`,
    `${file}:6:23: services.db.health.tcp.address: expected "host:port", got "localhost:99999"`,
    `${file}:12:17: services.api.dependsOn[0].target: unknown service "dbb" (did you mean "db"?)`,
    `${file}:13:9: services.api.dependsOn[1]: dependency cycle: api -> web -> api`,
  ];
  for (const line of expected) {
    assert(errors.includes(line), `missing:\n${line}\nin:\n${errors.join("\n")}`);
  }
});

Deno.test("a cycle is named whole, in the TOML file's own field names", async () => {
  await using dir = await tempDir();
  const file = await writeConfig(
    dir.path,
    "orchestrate.toml",
    `[[task]]\nname = "a"\ncmd = "x"\ndepends_on = ["c"]\nredy_cmd = "true"\n\n[[task]]\nname = "b"\ncmd = "x"\ndepends_on = ["a"]\n\n[[task]]\nname = "c"\ncmd = "y"\ndepends_on = ["b"]\n`,
  );
  // The typo does not hide the cycle: every error at once.
  assertEquals(await errorsOf([file]), [
    `${file}:5:1: task[0].redy_cmd: unknown field (did you mean "ready_cmd"?)`,
    `${file}:4:1: task[0].depends_on[0]: dependency cycle: a -> c -> b -> a`,
  ]);
  await Deno.writeTextFile(
    file,
    (await Deno.readTextFile(file)).replace('redy_cmd = "true"\n', ""),
  );
  assertEquals(await errorsOf([file]), [
    `${file}:4:1: task[0].depends_on[0]: dependency cycle: a -> c -> b -> a`,
  ]);
});

Deno.test("syntax errors point at the line", async () => {
  await using dir = await tempDir();
  const yaml = await writeConfig(dir.path, "a.yaml", "services:\n  a: [\n");
  assertMatch((await errorsOf([yaml]))[0], /a\.yaml:\d+:\d+: YAML syntax/);
  const toml = await writeConfig(dir.path, "b.toml", "[[services]]\nname = \n");
  assertMatch((await errorsOf([toml]))[0], /b\.toml:2:\d+: TOML syntax/);
});

Deno.test("semantic checks: ready on a oneshot, completed on a service, both zero surge values", async () => {
  await using dir = await tempDir();
  const file = await writeConfig(
    dir.path,
    "s.yaml",
    `services:
  init: { kind: oneshot, command: "true" }
  svc:
    command: sleep 1
    dependsOn: [{ target: init, require: ready }]
  other:
    command: sleep 1
    dependsOn: [{ target: svc, require: completed }]
    update: { maxUnavailable: 0, maxSurge: 0 }
`,
  );
  const errors = (await errorsOf([file])).join("\n");
  assertMatch(
    errors,
    /services\.svc\.dependsOn\[0\]\.require: "init" is a oneshot: it completes but never becomes ready \(use require: completed\)/,
  );
  assertMatch(errors, /services\.other\.dependsOn\[0\]\.require: "svc" is a service/);
  assertMatch(errors, /services\.other\.update: maxUnavailable and maxSurge cannot both be 0/);
});

Deno.test("interpolation: defaults, required variables, $$ and a .env beside the file", async () => {
  await using dir = await tempDir();
  await writeConfig(dir.path, ".env", "PORT=8123\n# comment\nNAME='from dotenv'\n");
  const file = await writeConfig(
    dir.path,
    "stack.yaml",
    `services:
  web:
    command: echo \${NAME} \${MISSING:-fallback} $$HOME $HOME
    env: { PORT: "\${PORT}", REPLICA: "p\${ORCH_REPLICA}" }
`,
  );
  const { stack } = await loadStack([file], {
    env: (n) => (n === "NAME" ? "from env" : undefined),
  });
  assertEquals(stack.services.web.command, { shell: "echo from env fallback $$HOME $HOME" });
  assertEquals({ ...stack.services.web.env }, { PORT: "8123", REPLICA: "p${ORCH_REPLICA}" });
  await Deno.writeTextFile(
    file,
    `services:\n  web:\n    command: echo \${TOKEN:?set TOKEN first}\n`,
  );
  assertEquals(await errorsOf([file]), [
    `${file}:3:14: services.web.command: TOKEN: set TOKEN first`,
  ]);
});

Deno.test("later -f files override earlier ones; errors name the file that set the field", async () => {
  await using dir = await tempDir();
  const base = await writeConfig(
    dir.path,
    "base.yaml",
    "services:\n  api:\n    command: sleep 10\n    replicas: 1\n    env: { A: a, B: b }\n",
  );
  const override = await writeConfig(
    dir.path,
    "prod.yaml",
    "services:\n  api:\n    replicas: 3\n    env: { B: override }\n",
  );
  const { stack } = await loadStack([base, override], { env: noEnv });
  assertEquals(stack.services.api.replicas, 3);
  assertEquals({ ...stack.services.api.env }, { A: "a", B: "override" });
  const broken = await writeConfig(
    dir.path,
    "broken.yaml",
    "services:\n  api:\n    dependsOn: [nope]\n",
  );
  assertEquals(await errorsOf([base, broken]), [
    `${broken}:3:17: services.api.dependsOn[0].target: unknown service "nope"`,
  ]);
});

Deno.test("a missing file and a missing default file give clear errors", async () => {
  await using dir = await tempDir();
  const errors = await errorsOf([`${dir.path}/nope.yaml`]);
  assertEquals(errors, [`${dir.path}/nope.yaml: file not found`]);
  const error = await assertRejects(
    () => loadStack([], { cwd: dir.path, env: noEnv }),
    ConfigError,
  );
  assertMatch(error.message, /no config file found \(looked for orch\.yaml, orch\.yml/);
});

Deno.test("the default file is the first of the documented list", async () => {
  await using dir = await tempDir();
  await writeConfig(dir.path, "orchestrate.toml", `[[task]]\nname = "t"\ncmd = "true"\n`);
  await writeConfig(dir.path, "stack.yaml", "services:\n  s:\n    command: sleep 1\n");
  const { files } = await loadStack([], { cwd: dir.path, env: noEnv });
  assertEquals(files, [`${dir.path}/stack.yaml`]);
});
