/**
 * Compose files translated onto the stack model: every mapped key, every interpolation rule,
 * extends, include, override files, profiles, located errors and warnings.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../assert.ts";
import { loadStack } from "../../src/config/load.ts";
import { ConfigError, formatIssue } from "../../src/domain/errors.ts";
import { tempDir } from "../../src/testing/recorder.ts";
import { foreignKind } from "../../src/config/formats/loader.ts";

const dir = new URL("./fixtures/compose", import.meta.url).pathname;
const vars: Record<string, string> = {
  FROM_SHELL: "shell-value",
  SET: "set",
  EMPTY: "",
  BOTH: "from-shell",
};
const env = (name: string) => vars[name];
const load = (file: string, options: { profiles?: string[] } = {}) =>
  loadStack([`${dir}/${file}`], { env, ...options });

async function errorsOf(file: string): Promise<string[]> {
  const error = await assertRejects(() => load(file), ConfigError);
  return (error as ConfigError).issues.map(formatIssue);
}

Deno.test("compose: images, commands, entrypoint, environment, env_file and user map onto services", async () => {
  const { stack } = await load("full.yml");
  assertEquals(stack.name, "full");
  const { db, api } = stack.services;
  assertEquals(db.runtime, "docker");
  assertEquals(db.image, "local/busybox:latest");
  assertEquals(db.entrypoint, ["/bin/sh", "-c"], "a string entrypoint is split into words");
  assertEquals(db.command, { exec: ["echo $HOME; exec sleep 1000"] }, "$$ is a literal $");
  assertEquals(
    api.command,
    { exec: ["./api", "--port", "8080", "two words"] },
    "split like a shell",
  );
  assertEquals(
    { ...db.env },
    { PGDATA: "/data", FROM_SHELL: "shell-value" },
    "unset pass-through is left out",
  );
  assertEquals(db.envFiles, [`${dir}/db.env`], "a missing optional env_file is skipped");
  assertEquals([db.user, db.group], ["999", "999"]);
  assertEquals(db.workdir, "/srv");
  assertEquals(db.tty, true);
  assertEquals({ ...db.labels }, { tier: "backend" }, "from a YAML merge key");
  assertEquals({ ...api.labels }, { team: "web", tier: "front" }, "list form");
});

Deno.test("compose: ports (short, long, ranges, udp) and volumes (binds, named, long form)", async () => {
  const { db } = (await load("full.yml")).stack.services;
  assertEquals(db.ports, [
    { hostIp: "127.0.0.1", hostPort: 15432, containerPort: 5432, protocol: "tcp" },
    { hostIp: undefined, hostPort: 8000, containerPort: 9000, protocol: "udp" },
    { hostIp: undefined, hostPort: 8001, containerPort: 9001, protocol: "udp" },
    { hostIp: "127.0.0.1", hostPort: 8080, containerPort: 80, protocol: "tcp" },
    { hostIp: undefined, hostPort: undefined, containerPort: 3000, protocol: "tcp" },
  ]);
  assertEquals(db.volumes, [
    `${dir}/data:/data:ro`,
    "full_dbdata:/var/lib/db",
    `${dir}/conf:/etc/db:ro`,
    "/scratch",
  ]);
});

Deno.test("compose: healthcheck test forms become in-container probes with Docker's defaults", async () => {
  const { db, api, worker, debug } = (await load("full.yml")).stack.services;
  assertEquals(db.health?.cmd, {
    command: { shell: "pg_isready -h 127.0.0.1" },
    inContainer: true,
  });
  assertEquals([db.health?.intervalMs, db.health?.timeoutMs, db.health?.failureThreshold], [
    2000,
    1500,
    5,
  ]);
  assertEquals(api.health?.cmd?.command, {
    exec: ["wget", "-q", "-O-", "http://127.0.0.1:8080/health"],
  });
  assertEquals(
    [api.health?.intervalMs, api.health?.timeoutMs],
    [30_000, 30_000],
    "Docker's defaults",
  );
  assertEquals(worker.health, undefined, "disable: true");
  assertEquals(debug.health, undefined, '["NONE"]');
});

Deno.test("compose: depends_on conditions, restart and required; completed_successfully makes a oneshot", async () => {
  const { stack, warnings } = await load("full.yml");
  const { migrate, api } = stack.services;
  assertEquals(migrate.kind, "oneshot");
  assertEquals(migrate.dependsOn, [{
    target: "db",
    require: "ready",
    timeoutMs: undefined,
    restart: false,
  }]);
  assertEquals(api.dependsOn.map((d) => [d.target, d.require, d.restart]), [
    ["migrate", "completed", false],
    ["db", "started", true],
  ]);
  const dropped = warnings.find((w) => w.path === "services.api.depends_on.cache");
  assertMatch(dropped?.message ?? "", /not defined and not required: the dependency is dropped/);
  assertEquals(dropped?.line, 63);
});

Deno.test("compose: restart forms and deploy.restart_policy, replicas and update_config", async () => {
  const { db, migrate, api, worker } = (await load("full.yml")).stack.services;
  assertEquals([db.restart.mode, db.restart.maxRetries], ["always", Infinity], "unless-stopped");
  assertEquals(
    [migrate.restart.mode, migrate.restart.maxRetries],
    ["on-failure", 3],
    "on-failure:3",
  );
  assertEquals([worker.restart.mode], ["never"], '"no"');
  assertEquals(api.replicas, 3);
  assertEquals(
    [
      api.restart.mode,
      api.restart.maxRetries,
      api.restart.backoff.minMs,
      api.restart.backoff.maxMs,
      api.restart.stableMs,
    ],
    ["on-failure", 4, 5000, 5000, 30_000],
  );
  assertEquals(api.update, { strategy: "rolling", maxUnavailable: 0, maxSurge: 2 }, "start-first");
  assertEquals(
    worker.update,
    { strategy: "rolling", maxUnavailable: 1, maxSurge: 0 },
    "stop-first",
  );
});

Deno.test("compose: stop_signal, stop_grace_period, networks, network_mode and profiles", async () => {
  const { stack } = await load("full.yml");
  const { db, api, worker, debug } = stack.services;
  assertEquals(db.stop, { signal: "SIGINT", timeoutMs: 90_000 });
  assertEquals(db.networks, [{ network: "backend", aliases: ["db", "database"] }]);
  assertEquals(api.networks?.map((n) => n.network), ["backend", "default"]);
  assertEquals(worker.network, "host");
  assertEquals(worker.networks, undefined);
  assertEquals(debug.enabled, false, "profile debug is not active");
  assertEquals(stack.networks?.backend, {
    name: "full_backend",
    driver: "bridge",
    external: false,
    internal: false,
    labels: { purpose: "db" },
  });
  assertEquals(stack.networks?.default.name, "full_default", "Compose's PROJECT_default");
  assertEquals(stack.networks?.outside, {
    name: "shared-net",
    driver: undefined,
    external: true,
    internal: false,
    labels: {},
  });
  const active = await load("full.yml", { profiles: ["debug"] });
  assertEquals(active.stack.services.debug.enabled, true, "--profile debug");
  const star = await loadStack([`${dir}/full.yml`], {
    env: (n) => n === "COMPOSE_PROFILES" ? "other,debug" : env(n),
  });
  assertEquals(star.stack.services.debug.enabled, true, "COMPOSE_PROFILES");
});

Deno.test("compose: what cannot be mapped is a warning with file:line naming the key", async () => {
  const { warnings } = await load("full.yml");
  const text = warnings.map(formatIssue);
  const has = (pattern: RegExp) =>
    assert(text.some((t) => pattern.test(t)), `${pattern} in\n${text.join("\n")}`);
  has(
    /full\.yml:83:17: services\.worker\.privileged: privileged is not supported by orch: ignored/,
  );
  has(/full\.yml:84:\d+: services\.worker\.container_name: .*orch names containers/);
  has(/services\.worker\.deploy\.update_config\.delay: delay is not supported/);
  has(/services\.api\.deploy\.resources: resources is not supported/);
  assert(!text.some((t) => t.includes("x-note")), "x- keys are dropped quietly");
});

Deno.test("compose: every interpolation rule, with .env beside the file and the environment first", async () => {
  const { stack, warnings } = await load("interpolation.yml");
  const app = stack.services.app;
  assertEquals(app.image, "local/busybox:latest", "${TAG:-latest}");
  assertEquals(app.command, { exec: ["echo", "$NOT_INTERPOLATED", "$set"] });
  assertEquals({ ...app.env }, {
    BARE: "set",
    BRACED: "set",
    DEFAULT_UNSET: "fallback",
    DEFAULT_EMPTY_COLON: "fallback",
    DEFAULT_EMPTY_NO_COLON: "",
    DEFAULT_UNSET_NO_COLON: "fallback",
    ALT_SET: "alternative",
    ALT_EMPTY_COLON: "",
    ALT_EMPTY: "alternative",
    NESTED: "set",
    FROM_DOTENV: "from-dotenv",
    SHELL_WINS: "from-shell",
    MISSING: "xy",
    LONE_DOLLAR: "costs 5$ or $1",
    REQUIRED_OK: "set",
    REQUIRED_Q_OK: "",
  });
  assertEquals(warnings.map(formatIssue), [
    `${dir}/interpolation.yml:18:16: services.app.environment.MISSING: the "NOWHERE" variable is not set; defaulting to a blank string`,
  ]);
});

Deno.test("compose: required variables are located errors, all at once", async () => {
  assertEquals(await errorsOf("required.yml"), [
    `${dir}/required.yml:5:10: services.app.environment.A: required variable NEEDED is missing a value: set NEEDED first`,
    `${dir}/required.yml:6:10: services.app.environment.B: required variable EMPTY is missing a value: empty is not enough`,
    `${dir}/required.yml:7:10: services.app.environment.C: required variable ABSENT is missing a value: must exist`,
  ]);
});

Deno.test("compose: interpolation happens per file, before merging", async () => {
  await using tmp = await tempDir();
  await Deno.writeTextFile(
    `${tmp.path}/a.yml`,
    "services:\n  x:\n    image: local/busybox:latest\n    environment: { V: $$A }\n",
  );
  await Deno.writeTextFile(`${tmp.path}/b.yml`, "services:\n  x:\n    environment: { W: $A }\n");
  const { stack } = await loadStack([`${tmp.path}/a.yml`, `${tmp.path}/b.yml`], {
    env: (n) => (n === "A" ? "a" : undefined),
  });
  assertEquals(
    { ...stack.services.x.env },
    { V: "$A", W: "a" },
    "the escaped $ of a.yml is not interpolated by b.yml",
  );
});

Deno.test("compose: extends (same file and another file) merges as Compose does", async () => {
  const { child, sibling } = (await load("extends.yml")).stack.services;
  assertEquals({ ...child.env }, { LEVEL: "child", KEEP: "yes" }, "mappings merge");
  assertEquals(child.ports.map((p) => p.hostPort), [9000, 9001], "ports are appended");
  assertEquals(child.volumes, [`${dir}/child-data:/data`], "volumes merge by target");
  assertEquals(child.envFiles, [`${dir}/db.env`], "the base's paths stay relative to its file");
  assertEquals(sibling.command, { exec: ["sleep", "2"] }, "command is replaced");
  assertEquals({ ...sibling.env }, { FROM: "local" });
});

Deno.test("compose: include loads another project directory with its own .env", async () => {
  const { stack } = await load("include.yml");
  const { helper, web } = stack.services;
  assertEquals(helper.command, { exec: ["echo", "from-child-dotenv"] });
  assertEquals(helper.envFiles, [`${dir}/inc/child.env`]);
  assertEquals(helper.kind, "oneshot", "a dependency across files makes it a oneshot");
  assertEquals(web.dependsOn[0].target, "helper");
});

Deno.test("compose: the default file is found without -f, with its override file", async () => {
  const { stack, files } = await loadStack([], { cwd: `${dir}/ovr`, env });
  assertEquals(files, [`${dir}/ovr/compose.yaml`, `${dir}/ovr/compose.override.yaml`]);
  const app = stack.services.app;
  assertEquals({ ...app.env }, { A: "base", B: "override" });
  assertEquals(app.ports.map((p) => p.hostPort), [8000, 8001]);
  assertEquals(app.command, { exec: ["sleep", "2"] });
});

Deno.test("compose: errors are located in the user's file and name its keys", async () => {
  assertEquals(await errorsOf("bad.yml"), [
    `${dir}/bad.yml:4:14: services.api.restart: expected "no", "always", "on-failure[:N]" or "unless-stopped"`,
    `${dir}/bad.yml:8:5: services.db.helthcheck: unknown field (did you mean "healthcheck"?)`,
  ]);
  await using tmp = await tempDir();
  await Deno.writeTextFile(
    `${tmp.path}/compose.yml`,
    'services:\n  api:\n    image: local/busybox:latest\n    depends_on: [dbb]\n  db:\n    image: local/busybox:latest\n    volumes: ["undeclared:/x"]\n  nothing: {}\n',
  );
  const error = await assertRejects(
    () => loadStack([`${tmp.path}/compose.yml`], { env }),
    ConfigError,
  );
  const text = (error as ConfigError).issues.map(formatIssue);
  assertEquals(text, [
    `${tmp.path}/compose.yml:7:15: services.db.volumes[0]: refers to undefined volume undeclared (declare it under the top-level volumes)`,
    `${tmp.path}/compose.yml:4:18: services.api.depends_on[0]: unknown service "dbb" (did you mean "db"?)`,
    `${tmp.path}/compose.yml:8:12: services.nothing.image: is required for a docker service`,
  ], "translation and model errors at once");
  await Deno.writeTextFile(
    `${tmp.path}/compose.yml`,
    "services:\n  api:\n    image: local/busybox:latest\n    depends_on: [dbb]\n  db:\n    image: local/busybox:latest\n",
  );
  const dep = await assertRejects(
    () => loadStack([`${tmp.path}/compose.yml`], { env }),
    ConfigError,
  );
  assertEquals((dep as ConfigError).issues.map(formatIssue), [
    `${tmp.path}/compose.yml:4:18: services.api.depends_on[0]: unknown service "dbb" (did you mean "db"?)`,
  ]);
});

Deno.test("compose: build without image runs the image Compose would build, with a warning", async () => {
  await using tmp = await tempDir();
  await Deno.writeTextFile(
    `${tmp.path}/compose.yaml`,
    "name: shop\nservices:\n  web:\n    build: .\n",
  );
  const { stack, warnings } = await loadStack([`${tmp.path}/compose.yaml`], { env });
  assertEquals(stack.services.web.image, "shop-web");
  assertMatch(
    formatIssue(warnings[0]),
    /compose\.yaml:4:12: services\.web\.build: orch does not build images: it runs shop-web/,
  );
});

Deno.test("formats are detected by name, and by content when the name says nothing", () => {
  assertEquals(foreignKind("/x/docker-compose.yml", ""), "compose");
  assertEquals(foreignKind("/x/compose.override.yaml", ""), "compose");
  assertEquals(foreignKind("/x/process-compose.yaml", ""), "process-compose");
  assertEquals(foreignKind("/x/Procfile", ""), "procfile");
  assertEquals(foreignKind("/x/Procfile.dev", ""), "procfile");
  assertEquals(
    foreignKind("/x/app.yml", "services:\n  a:\n    image: x\n    environment: [A=1]\n"),
    "compose",
  );
  assertEquals(
    foreignKind("/x/app.yml", "version: '3.8'\nservices:\n  a:\n    image: x\n"),
    "compose",
  );
  assertEquals(foreignKind("/x/app.yml", "processes:\n  a:\n    command: x\n"), "process-compose");
  assertEquals(foreignKind("/x/Runfile", "web: ./web\nworker: ./worker --queue=a\n"), "procfile");
  assertEquals(
    foreignKind("/x/stack.yaml", "services:\n  a:\n    image: x\n    dependsOn: [b]\n"),
    undefined,
  );
  assertEquals(
    foreignKind("/x/stack.yaml", "version: 0.1\nservices:\n  a:\n    command: x\n"),
    undefined,
  );
  assertEquals(foreignKind("/x/orch.toml", "[services.a]\ncommand='x'\n"), undefined);
});
