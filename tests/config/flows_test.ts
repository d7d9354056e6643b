/**
 * Flows from the three file forms onto one model, and their located errors.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { loadProject } from "../../src/config/flows/load.ts";
import { ConfigError, type ConfigIssue } from "../../src/domain/errors.ts";
import { checkSchedule } from "../../src/config/flows/cron.ts";
import { scratchDir } from "../../src/testing/recorder.ts";

const seeds = new URL("../../examples/seeds/", import.meta.url).pathname;

async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await scratchDir("orch-flows-");
  for (const [name, text] of Object.entries(files)) {
    const path = `${dir}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
  return dir;
}

async function issuesOf(dir: string, files: string[]): Promise<ConfigIssue[]> {
  try {
    await loadProject(files, { cwd: dir, env: () => undefined });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  throw new Error("expected a ConfigError");
}

function find(issues: ConfigIssue[], pattern: RegExp): ConfigIssue {
  const hit = issues.find((i) => pattern.test(i.message));
  assert(hit, `no issue matches ${pattern}: ${JSON.stringify(issues, null, 1)}`);
  return hit;
}

Deno.test("Conducktor's seed flow loads as it is: names with spaces, conditional edges", async () => {
  const project = await loadProject([`${seeds}conducktor-flow.yaml`], { env: () => undefined });
  const flow = project.flows.flows["my-flow"];
  assertEquals(Object.keys(flow.tasks), ["First task", "Second task", "Third task", "Fourth task"]);
  assertEquals(flow.schedules, [{ kind: "cron", expr: "0 0 * * * *" }]);
  assertEquals(flow.events, ["my-event"]);
  assertEquals(flow.tasks["Second task"].upstream, [{ task: "First task", on: "success" }]);
  assertEquals(flow.tasks["Third task"].upstream, [{ task: "Second task", on: "success" }]);
  assertEquals(flow.tasks["Fourth task"].upstream, [{ task: "Second task", on: "failure" }]);
  assertEquals(flow.tasks["First task"].command, { shell: "echo hello" });
  assertEquals(flow.tasks["First task"].condition, "none_failed");
  assertEquals(Object.keys(project.stack.services), []);
  assertEquals(project.project, seeds.replace(/\/$/, ""));
});

Deno.test("Petit's job directory and global file map onto the same model", async () => {
  const project = await loadProject([`${seeds}petit-jobs`], { env: () => undefined });
  const { flows, pools, maxExecutors, db } = project.flows;
  assertEquals(Object.keys(flows).sort(), ["etl", "report"]);
  assertEquals({ ...pools }, { db_conn: 1, cpu_intensive: 2 });
  assertEquals(maxExecutors, 4);
  assertEquals(db, `${seeds}petit-jobs/petit.db`);
  const etl = flows.etl;
  assertEquals(etl.timezone, "America/Los_Angeles");
  assertEquals(etl.maxConcurrency, 2);
  assertEquals(etl.config, { table: "events" });
  assertEquals((etl.tasks.extract.command as { exec: string[] }).exec[0], "sh");
  assertEquals(etl.tasks.extract.env, { TABLE: "${config.table}" });
  assertEquals(etl.tasks.extract.slots, { db_conn: 1 });
  assertEquals(etl.tasks.transform.retry.attempts, 3);
  assertEquals(etl.tasks.transform.retry.delayMs, 0);
  assertEquals(etl.tasks.transform.condition, "all_success");
  assertEquals(etl.tasks.notify_failure.condition, "on_failure");
  assertEquals(etl.tasks.cleanup.condition, "all_done");
  // A job without a schedule that depends on another runs after it succeeds, if that holds.
  assertEquals(flows.report.requires, [
    { flow: "etl", condition: "last_success", windowMs: 86_400_000 },
  ]);
  assertEquals(flows.report.after, [{ flow: "etl", on: "success" }]);
});

Deno.test("a stack file holds services and flows; tasks need services; env interpolates", async () => {
  const dir = await dirWith({
    "stack.yaml": `
services:
  db: { command: "sleep 100" }
pools: { db_conn: 2 }
scheduler: { maxExecutors: 3 }
flows:
  nightly:
    schedule: ["*/5 * * * *", "@every 30s"]
    timezone: Europe/Berlin
    catchUp: { mode: all, window: 6h }
    overlap: queue
    retention: { days: 7, count: 10 }
    config: { who: world }
    tasks:
      extract:
        command: echo \${GREETING} \${config.who} \${payload.id}
        needs: [db]
        slots: { db_conn: 1 }
        timeout: 5s
        retry: { attempts: 3, delay: 1s, factor: 2, maxDelay: 3s, onExitCodes: [75] }
      load:
        command: ["sh", "-c", "echo \${tasks.extract.rows}"]
        dependsOn: [extract, { task: extract, on: failure }]
`,
  });
  const project = await loadProject([], {
    cwd: dir,
    env: (n) => (n === "GREETING" ? "hi" : undefined),
  });
  const flow = project.flows.flows.nightly;
  assertEquals(flow.schedules, [
    { kind: "cron", expr: "*/5 * * * *" },
    { kind: "every", everyMs: 30_000, expr: "@every 30s" },
  ]);
  assertEquals(flow.catchUp, { mode: "all", windowMs: 6 * 3_600_000 });
  assertEquals(flow.overlap, "queue");
  assertEquals(flow.maxActiveRuns, 1);
  assertEquals(flow.retention, { days: 7, count: 10 });
  assertEquals(flow.tasks.extract.command, { shell: "echo hi ${config.who} ${payload.id}" });
  assertEquals(flow.tasks.extract.needs, ["db"]);
  assertEquals(flow.tasks.extract.retry, {
    attempts: 3,
    delayMs: 1000,
    factor: 2,
    maxDelayMs: 3000,
    onExitCodes: [75],
  });
  assertEquals(flow.tasks.load.upstream, [
    { task: "extract", on: "success" },
    { task: "extract", on: "failure" },
  ]);
  assertEquals(project.flows.maxExecutors, 3);
  assertEquals(Object.keys(project.stack.services), ["db"]);
});

Deno.test("a stack file with only flows is valid; -f takes a directory of flow files", async () => {
  const dir = await dirWith({
    "stack.yaml": "stack: { name: jobs }\nflows:\n  a: { tasks: { t: { command: 'true' } } }\n",
    "flows/b.yaml": "tasks:\n  t: { command: 'true' }\n",
    "flows/c.yaml": "name: c\ntasks:\n  - name: t\n    command: 'true'\n",
  });
  const project = await loadProject(["stack.yaml", "flows"], { cwd: dir, env: () => undefined });
  assertEquals(Object.keys(project.flows.flows).sort(), ["a", "b", "c"]);
  assertEquals(project.stack.name, "jobs");
});

Deno.test("graph errors: a cycle named whole, unknown dag tasks with did-you-mean, unreachable", async () => {
  const dir = await dirWith({
    "flow.yaml": `name: broken
tasks:
  - name: First task
    command: "true"
  - name: Second task
    command: "true"
  - name: Third task
    command: "true"
  - name: Fourth task
    command: "true"
dag:
  - First task: Second tsk
  - Second task: Third task
  - Third task: Second task
  - Third task: Fourth task
`,
  });
  const issues = await issuesOf(dir, ["flow.yaml"]);
  const unknown = find(issues, /unknown task "Second tsk"/);
  assertEquals(unknown.hint, 'did you mean "Second task"?');
  assertEquals([unknown.line, unknown.path], [12, 'dag[0]["First task"]']);
  find(
    issues,
    /cycle in the task graph: (Second task -> Third task -> Second task|Third task -> Second task -> Third task)/,
  );
  const unreachable = find(issues, /"Fourth task" is unreachable from any root/);
  assertEquals(unreachable.path, "tasks[3]");
});

Deno.test("a bad cron field is named, with its column; an unknown time zone gets a suggestion", async () => {
  const dir = await dirWith({
    "stack.yaml": `flows:
  nightly:
    schedule: "0 99 * * *"
    timezone: Europe/Berln
    tasks: { t: { command: "true" } }
`,
  });
  const issues = await issuesOf(dir, ["stack.yaml"]);
  const cron = find(issues, /field 2 \(hour\) "99"/);
  assertEquals([cron.line, cron.column, cron.path], [3, 18, "flows.nightly.schedule[0]"]);
  const zone = find(issues, /unknown time zone "Europe\/Berln"/);
  assertEquals([zone.line, zone.hint], [4, 'did you mean "Europe/Berlin"?']);
});

Deno.test("unknown pools, services and flows are named with did-you-mean, at their lines", async () => {
  const dir = await dirWith({
    "stack.yaml": `services:
  db: { command: "sleep 1" }
pools: { db_conn: 1 }
flows:
  a:
    after: [bb]
    onService: { dbb: failed }
    tasks:
      t: { command: "true", slots: { db_con: 1 }, needs: [dv] }
      u: { command: "true", slots: { db_conn: 2 } }
  b:
    tasks: { t: { command: "true" } }
`,
  });
  const issues = await issuesOf(dir, ["stack.yaml"]);
  const pool = find(issues, /unknown resource pool "db_con"/);
  assertEquals([pool.line, pool.hint], [9, 'did you mean "db_conn"?']);
  find(issues, /asks for 2 slots of pool "db_conn", which has 1/);
  assertEquals(find(issues, /unknown service "dv"/).hint, 'did you mean "db"?');
  assertEquals(find(issues, /unknown service "dbb"/).hint, 'did you mean "db"?');
  assertEquals(find(issues, /unknown flow "bb"/).hint, 'did you mean "b"?');
});

Deno.test("schema errors in flows are located and suggest the field", async () => {
  const dir = await dirWith({
    "stack.yaml": `flows:
  a:
    overlap: skipp
    tasks:
      t: { command: "true", retri: 2 }
`,
  });
  const issues = await issuesOf(dir, ["stack.yaml"]);
  const field = find(issues, /unknown field/);
  assertEquals([field.path, field.hint], ["flows.a.tasks.t.retri", 'did you mean "retry"?']);
  const overlap = find(issues, /is not one of/);
  assertEquals([overlap.line, overlap.hint], [3, 'did you mean "skip"?']);
});

Deno.test("Petit job errors use Petit's own field names", async () => {
  const dir = await dirWith({
    "jobs/a.yaml": `name: a
tasks:
  t:
    type: command
    program: "true"
    depends_on: [nope]
    retry: { max_attempt: 2 }
`,
  });
  const issues = await issuesOf(dir, ["jobs"]);
  const field = find(issues, /unknown field/);
  assertEquals([field.path, field.hint], [
    "tasks.t.retry.max_attempt",
    'did you mean "max_attempts"?',
  ]);
  // Resolved after translation, reported on Petit's path.
  const dir2 = await dirWith({
    "jobs/a.yaml": `name: a
tasks:
  t: { type: command, program: "true", depends_on: [nope] }
`,
  });
  const unknown = find(await issuesOf(dir2, ["jobs"]), /unknown task "nope"/);
  assertEquals([unknown.path, unknown.line], ["tasks.t.depends_on[0]", 3]);
});

Deno.test("checkSchedule reads 5 and 6 fields, nicknames and @every; says what is wrong", () => {
  assertEquals(checkSchedule("@daily"), { kind: "cron", expr: "@daily" });
  assertEquals(checkSchedule("@every 1m30s"), {
    kind: "every",
    everyMs: 90_000,
    expr: "@every 1m30s",
  });
  assertEquals(checkSchedule("*/10 * * * * *"), { kind: "cron", expr: "*/10 * * * * *" });
  const bad = checkSchedule("0 0 * * 8");
  assert("message" in bad);
  assertMatch(bad.message, /field 5 \(day of week\) "8"/);
  assertEquals(bad.offset, 8);
  assert("message" in checkSchedule("* * *"));
  assertMatch((checkSchedule("0 0 30 2 *") as { message: string }).message, /never fires/);
  assertMatch((checkSchedule("@dayly") as { hint: string }).hint, /did you mean "@daily"/);
  assertMatch((checkSchedule("@every 10ms") as { message: string }).message, /shorter than 1s/);
});

Deno.test("references name config keys and upstream tasks", async () => {
  const dir = await dirWith({
    "stack.yaml": `flows:
  f:
    config: { table: t }
    tasks:
      a: { command: "echo \${config.tabl}" }
      b: { command: "echo \${tasks.c.rows}", dependsOn: [a] }
      c: { command: "true", env: { X: "\${tasks.a.rows}" } }
`,
  });
  const issues = await issuesOf(dir, ["stack.yaml"]);
  assertEquals(find(issues, /unknown config key "tabl"/).hint, 'did you mean "table"?');
  assertEquals(find(issues, /"c" is not upstream of "b"/).path, "flows.f.tasks.b.command");
  assertEquals(find(issues, /"a" is not upstream of "c"/).path, "flows.f.tasks.c.env.X");
});
