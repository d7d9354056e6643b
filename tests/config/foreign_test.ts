/**
 * process-compose files and Procfiles translated onto the stack model, and `orch convert`
 * round-tripping every foreign fixture: its output validates and normalizes to the same stack.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../assert.ts";
import { loadStack } from "../../src/config/load.ts";
import { ConfigError, formatIssue } from "../../src/domain/errors.ts";
import { tempDir } from "../../src/testing/recorder.ts";
import { convertCommand } from "../../src/cli/interop_commands.ts";
import type { CliIO } from "../../src/cli/io.ts";
import { testIO } from "../../src/testing/io.ts";
import type { Stack } from "../../src/domain/model.ts";

const fixtures = new URL("./fixtures", import.meta.url).pathname;
const pc = `${fixtures}/process-compose/process-compose.yaml`;
const procfile = `${fixtures}/procfile/Procfile`;
const noEnv = () => undefined;

Deno.test("process-compose: command, shell, working_dir, environment and PC_REPLICA_NUM", async () => {
  const { stack } = await loadStack([pc], { env: noEnv });
  const { setup, db, api } = stack.services;
  assertEquals(
    setup.command,
    { exec: ["sh", "-c", "echo setup hello > setup.out"] },
    ".env interpolated",
  );
  assertEquals(db.workdir, `${fixtures}/process-compose/db`);
  assertEquals(db.env.PORT, "540${ORCH_REPLICA}");
  assertEquals(db.env.GLOBAL, "yes", "top-level environment");
  assertEquals(db.env.PC_REPLICA_NUM, "${ORCH_REPLICA}");
  assertEquals(db.envFiles, [`${fixtures}/process-compose/.env`], "the .env goes to every process");
  assertEquals(api.command, { exec: ["sh", "-c", "./api --port 808${ORCH_REPLICA}"] });
  assertEquals(api.replicas, 2);
  assertEquals(api.tty, true, "is_tty");
  assertEquals({ ...api.labels }, { namespace: "backend" });
});

Deno.test("process-compose: availability, depends_on conditions, probes and ready_log_line", async () => {
  const { stack, warnings } = await loadStack([pc], { env: noEnv });
  const { setup, db, api, cleanup, watcher, critical, off } = stack.services;
  assertEquals(setup.kind, "oneshot", "process_completed_successfully");
  assertEquals(cleanup.kind, "oneshot", "process_completed");
  assertEquals(cleanup.successCodes.length, 256, "process_completed accepts any exit code");
  assertEquals(db.dependsOn.map((d) => [d.target, d.require]), [["setup", "completed"]]);
  assertEquals(api.dependsOn.map((d) => [d.target, d.require]), [["db", "ready"], [
    "cleanup",
    "completed",
  ]]);
  assertEquals(db.health?.log?.pattern, "db ready", "process_log_ready waits for ready_log_line");
  assertEquals(api.health?.http?.url, "http://127.0.0.1:808${ORCH_REPLICA}/health");
  assertEquals(
    [
      api.health?.gracePeriodMs,
      api.health?.intervalMs,
      api.health?.timeoutMs,
      api.health?.failureThreshold,
    ],
    [1000, 2000, 1000, 5],
  );
  assertEquals(
    [
      api.restart.mode,
      api.restart.maxRetries,
      api.restart.backoff.minMs,
      api.restart.backoff.factor,
    ],
    ["on-failure", 4, 2000, 1],
  );
  assertEquals(watcher.kind, "daemon", "a liveness probe alone: probes act as liveness");
  assertEquals(watcher.health?.cmd?.command, { exec: ["sh", "-c", "true"] });
  assertEquals(watcher.restart.mode, "always");
  assertEquals([critical.required, critical.restart.mode], [true, "never"], "exit_on_failure");
  assertEquals(critical.dependsOn[0].require, "ready", "process_healthy");
  assertEquals(off.enabled, false, "disabled");
  assertEquals(off.logFile, `${fixtures}/process-compose/off.log`);
  assertMatch(
    warnings.map(formatIssue).join("\n"),
    /process-compose\.yaml:42:7: processes\.api\.liveness_probe: orch's readiness probe keeps running/,
  );
});

Deno.test("process-compose: shutdown signal and timeout; is_daemon keeps a stopper in its place", async () => {
  const { stack } = await loadStack([pc], { env: noEnv });
  const { db, daemon } = stack.services;
  assertEquals(db.stop, { signal: "SIGINT", timeoutMs: 3000 });
  assertEquals(daemon.kind, "daemon");
  assertEquals(daemon.stop.timeoutMs, 5000);
  const script = (daemon.command as { exec: string[] }).exec[2];
  assertMatch(
    script,
    /^sh -c start-daemon \|\| exit \$\?; trap 'sh -c stop-daemon; exit 0' TERM INT HUP/,
  );
});

Deno.test("process-compose: errors name the file's own keys", async () => {
  await using tmp = await tempDir();
  const file = `${tmp.path}/process-compose.yaml`;
  await Deno.writeTextFile(
    file,
    "processes:\n  a:\n    command: x\n    depends_on:\n      b: { condition: process_log_ready }\n  b:\n    comand: y\n",
  );
  const error = await assertRejects(() => loadStack([file], { env: noEnv }), ConfigError);
  assertEquals((error as ConfigError).issues.map(formatIssue), [
    `${file}:7:5: processes.b.comand: unknown field (did you mean "command"?)`,
  ]);
  await Deno.writeTextFile(
    file,
    "processes:\n  a:\n    command: x\n    depends_on:\n      c: {}\n",
  );
  const dep = await assertRejects(() => loadStack([file], { env: noEnv }), ConfigError);
  assertEquals((dep as ConfigError).issues.map(formatIssue), [
    `${file}:5:10: processes.a.depends_on.c: unknown service "c" (did you mean "a"?)`,
  ]);
});

Deno.test("Procfile: shell commands, foreman's ports, .env, and -m counts", async () => {
  const { stack } = await loadStack([procfile], { env: noEnv, formation: { web: 2, clock: 0 } });
  const { web, worker, clock } = stack.services;
  assertEquals(web.command, { shell: "./web --port $PORT" });
  assertEquals(
    worker.command,
    { shell: './worker --queue "$${QUEUE:-default}"' },
    "left for the shell",
  );
  assertEquals(clock.command, { shell: "echo tick $$$$" }, "$$ stays the shell's pid");
  assertEquals([web.replicas, worker.replicas, clock.replicas], [2, 1, 0]);
  assertEquals({ ...web.env }, { PORT: "500${ORCH_REPLICA}" }, "5000, +1 per extra instance");
  assertEquals({ ...worker.env }, { PORT: "5100" }, "+100 per process type");
  assertEquals({ ...clock.env }, { PORT: "5200" });
  assertEquals(web.envFiles, [`${fixtures}/procfile/.env`]);
  assertEquals([web.kind, web.restart.mode, web.required], ["service", "never", true]);
  const many = await loadStack([procfile], {
    env: (n) => (n === "PORT" ? "3000" : undefined),
    formation: { all: 12 },
  });
  assertEquals(many.stack.services.web.command, {
    shell: "PORT=$((3000 + $ORCH_REPLICA)); export PORT; ./web --port $PORT",
  });
  assertEquals(many.stack.services.worker.replicas, 12, "all=N");
  const bad = await assertRejects(
    () => loadStack([procfile], { env: noEnv, formation: { wbe: 1 } }),
    ConfigError,
  );
  assertMatch(
    (bad as ConfigError).issues.map(formatIssue).join(""),
    /-m names wbe, which the Procfile does not define/,
  );
  await using tmp = await tempDir();
  await Deno.writeTextFile(`${tmp.path}/Procfile`, "web: ./web\nthis is not a line\n");
  const syntax = await assertRejects(
    () => loadStack([`${tmp.path}/Procfile`], { env: noEnv }),
    ConfigError,
  );
  assertEquals((syntax as ConfigError).issues.map(formatIssue), [
    `${tmp.path}/Procfile:2:1: expected "name: command", found "this is not a line"`,
  ]);
});

function bufferIO(cwd: string, env: (n: string) => string | undefined): CliIO & { text: string[] } {
  const text: string[] = [];
  return { ...testIO({ cwd, env, out: (t) => text.push(t) }), text };
}

/** The stack without the file names it was read from (which differ by construction). */
function comparable(stack: Stack): unknown {
  return JSON.parse(
    JSON.stringify({ ...stack, files: [] }, (_k, v) => (v === Infinity ? "inf" : v)),
  );
}

const ROUND_TRIPS: [string, Record<string, unknown>][] = [
  ["compose/full.yml", { profiles: ["debug"] }],
  ["compose/interpolation.yml", {}],
  ["compose/extends.yml", {}],
  ["compose/include.yml", {}],
  ["process-compose/process-compose.yaml", {}],
  ["procfile/Procfile", { formation: "web=2,clock=0" }],
];

for (const [fixture, options] of ROUND_TRIPS) {
  Deno.test(`orch convert round-trips ${fixture}: same normalized stack, warnings as comments`, async () => {
    await using tmp = await tempDir();
    const vars: Record<string, string> = {
      SET: "set",
      EMPTY: "",
      BOTH: "from-shell",
      FROM_SHELL: "v",
    };
    const env = (n: string) => vars[n];
    const source = `${fixtures}/${fixture}`;
    const output = `${tmp.path}/out/orch.yaml`;
    await Deno.mkdir(`${tmp.path}/out`);
    const io = bufferIO(tmp.path, env);
    const profile = options.profiles as string[] | undefined;
    const formation = options.formation as string | undefined;
    assertEquals(
      await convertCommand(io, source, { output, profile, formation }),
      0,
      io.text.join(""),
    );
    const original = await loadStack([source], {
      env,
      ...(profile ? { profiles: profile } : {}),
      ...(formation
        ? {
          formation: Object.fromEntries(
            formation.split(",").map((p) => [p.split("=")[0], Number(p.split("=")[1])]),
          ),
        }
        : {}),
    });
    const converted = await loadStack([output], { env: () => undefined });
    assertEquals(comparable(converted.stack), comparable(original.stack));
    assertEquals(converted.warnings, [], "orch's own format maps fully");
    const text = await Deno.readTextFile(output);
    assertMatch(text, /^# Converted from .* by orch convert/);
    for (const w of original.warnings) {
      assert(text.includes(w.message), `warning "${w.message}" is a comment`);
    }
    const again = await convertCommand(io, source, { output, profile, formation }).catch((e) => e);
    assertMatch(String(again), /already exists \(use --force/);
  });
}
