/**
 * `POST /v1/exec` through the handler without sockets, on a real scheduler (real processes, a
 * real SQLite history): the NDJSON stream (run, output, end), the body's checks, the read-only
 * token refused, and every line of a flood handed on before the end.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { createHandler, EventCounters } from "../../src/api/mod.ts";
import { localFlows } from "../../src/control/mod.ts";
import { makeControl } from "../../src/cli/serve.ts";
import { EventBus } from "../../src/cli/bus.ts";
import { testStack } from "../../src/testing/engine.ts";
import { projectFrom, testFlows } from "../../src/testing/flows.ts";

async function setup() {
  const project = await projectFrom(`
pools: { db: 1 }
flows:
  f:
    tasks:
      a: { command: "true" }
`);
  const flows = await testFlows(project.flows);
  const stack = await testStack(`services:\n  svc: { command: "true", kind: oneshot }\n`);
  const bus = new EventBus();
  const control = makeControl({
    engine: stack.engine,
    logs: flows.logs,
    bus,
    project: stack.dir,
    files: [`${stack.dir}/stack.yaml`],
    startedAt: Date.now(),
    env: () => undefined,
    shutdown: () => {},
    flows: localFlows(flows.scheduler, flows.store, { logs: flows.logs, dir: flows.dir }),
  });
  const handler = createHandler(control, {
    counters: new EventCounters(),
    tokens: { admin: "admin-token", readOnly: "read-token" },
    keepAliveMs: 60_000,
  });
  const exec = async (body: unknown, token = "admin-token") => {
    const response = await handler(
      new Request("http://orch/v1/exec", {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      }),
    );
    const text = await response.text();
    const lines = response.status === 200
      ? text.trim().split("\n").map((l) => JSON.parse(l))
      : [JSON.parse(text)];
    return { status: response.status, type: response.headers.get("content-type"), lines };
  };
  flows.scheduler.start({ schedules: false });
  return {
    exec,
    flows,
    async [Symbol.asyncDispose]() {
      await flows[Symbol.asyncDispose]();
      await stack[Symbol.asyncDispose]();
      bus.close();
    },
  };
}

Deno.test("POST /v1/exec streams the run, its output and its end as NDJSON", async () => {
  await using t = await setup();
  const r = await t.exec({
    command: ["sh", "-c", 'echo "$A"; echo oops >&2; exit 4'],
    env: { A: "from env" },
    cwd: ".",
    timeout: "20s",
    slots: { db: 1 },
  });
  assertEquals([r.status, r.type], [200, "application/x-ndjson"]);
  assertEquals(r.lines[0].type, "run");
  assertEquals(r.lines[0].run.flow, "@exec");
  const output = r.lines.filter((l) => l.type === "output").flatMap((l) => l.records);
  assertEquals(
    output.map((o: { stream: string; msg: string }) => `${o.stream} ${o.msg}`).sort(),
    ["stderr oops", "stdout from env"],
  );
  const end = r.lines.at(-1);
  assertEquals([end.type, end.run.status, end.task.exit.code], ["end", "failed", 4]);
  assertEquals(t.flows.store.run(end.run.id)?.status, "failed");
});

Deno.test("POST /v1/exec hands on every line of a flood before its end", async () => {
  await using t = await setup();
  const r = await t.exec({ command: ["seq", "1", "5000"] });
  const output = r.lines.filter((l) => l.type === "output").flatMap((l) => l.records);
  assertEquals(output.length, 5000);
  assertEquals(output.at(-1).msg, "5000");
  assertEquals(r.lines.at(-1).type, "end");
});

Deno.test("POST /v1/exec checks its body; the read-only token is refused", async () => {
  await using t = await setup();
  const bad: [unknown, RegExp][] = [
    [{}, /command: a non-empty list/],
    [{ command: [] }, /command: a non-empty list/],
    [{ command: ["echo", 3] }, /command\[1\]: a string/],
    [{ command: ["echo"], env: { "A=B": "x" } }, /env: "A=B" is not a variable name/],
    [{ command: ["echo"], env: { A: 1 } }, /env\.A: a string/],
    [{ command: ["echo"], timeout: "soon" }, /timeout: "soon" is not a duration/],
    [{ command: ["echo"], slots: { db: 1.5 } }, /slots\.db: a whole number/],
    [{ command: ["echo"], user: "root" }, /unknown field/],
  ];
  for (const [body, message] of bad) {
    const r = await t.exec(body);
    assertEquals(r.status, 400, JSON.stringify(body));
    assertMatch(r.lines[0].error.message, message);
  }
  const noPool = await t.exec({ command: ["echo"], slots: { nope: 1 } });
  assertEquals(noPool.status, 404);
  const ro = await t.exec({ command: ["echo", "hi"] }, "read-token");
  assertEquals(ro.status, 403);
  assertMatch(ro.lines[0].error.message, /read-only/);
  assert(t.flows.store.runs({ flow: "@exec" }).runs.length === 0, "nothing ran");
});
