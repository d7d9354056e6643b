/** The API handler called directly with Requests (no socket), on a real engine. */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { createHandler } from "../../src/api/mod.ts";
import type { Control } from "../../src/control/mod.ts";
import { EventBus } from "../../src/cli/bus.ts";
import { makeControl } from "../../src/cli/serve.ts";
import { testStack } from "../../src/testing/engine.ts";
import { waitFor } from "../../src/testing/deadline.ts";
import { readUntil } from "../../src/testing/deadline.ts";

async function api(
  yaml: string,
  tokens?: { admin: string; readOnly: string },
  options: { wrap?: (c: Control) => Control; onInternalError?: (e: unknown) => void } = {},
) {
  const t = await testStack(yaml);
  const bus = new EventBus();
  const controller = makeControl({
    engine: t.engine,
    logs: t.logs,
    bus,
    project: t.dir,
    files: [`${t.dir}/stack.yaml`],
    startedAt: Date.now(),
    env: (n) => Deno.env.get(n),
    shutdown: (timeoutMs) => void t.engine.shutdown({ timeoutMs }),
  });
  // Feed the bus from the recorder, as `orch up` feeds it from the engine.
  let seen = 0;
  const stopFeeding = t.events.watch(() => {
    for (; seen < t.events.events.length; seen++) bus.publish(t.events.events[seen]);
  });
  const handler = createHandler(options.wrap?.(controller) ?? controller, {
    tokens,
    keepAliveMs: 60_000,
    onInternalError: options.onInternalError,
  });
  const call = (method: string, path: string, body?: unknown, token?: string) =>
    handler(
      new Request(`http://orch${path}`, {
        method,
        headers: token ? { authorization: `Bearer ${token}` } : {},
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
  return {
    t,
    call,
    async [Symbol.asyncDispose]() {
      stopFeeding();
      bus.close();
      await t[Symbol.asyncDispose]();
    },
  };
}

const STACK = `
services:
  echo:
    command: "while read line; do echo \\"got $line\\"; done"
  worker:
    command: "echo 'WARN slow start'; echo started; exec sleep 30"
    dependsOn: [echo]
`;

Deno.test("status, services, health and openapi", async () => {
  await using a = await api(STACK);
  a.t.engine.start();
  await a.t.events.until(() => a.t.engine.status().every((s) => s.state === "ready"), "ready");
  const status = await (await a.call("GET", "/v1/status")).json();
  assertEquals(
    status.services.map((s: { service: string; state: string }) => [s.service, s.state]),
    [
      ["echo", "ready"],
      ["worker", "ready"],
    ],
  );
  assert(status.instances[0].pid > 0);
  // Just after the spawn the chain may not have made its process group or joined its cgroup yet.
  await waitFor(
    async () =>
      ((await (await a.call("GET", "/v1/status")).json()).instances[0].usage?.rssBytes ?? 0) > 0,
    "resource use of the process group in the status",
  );
  const services = await (await a.call("GET", "/v1/services")).json();
  assertEquals(services.services[1].dependsOn, ["echo"]);
  assertEquals(services.services[1].dependencies, [{ target: "echo", condition: "ready" }]);
  const health = await (await a.call("GET", "/v1/health")).json();
  assertEquals([health.status, health.pid], ["ok", Deno.pid]);
  const doc = await (await a.call("GET", "/v1/openapi.json")).json();
  assertEquals(doc.openapi, "3.1.0");
  for (const path of ["/v1/status", "/v1/logs", "/v1/events", "/v1/apply", "/metrics"]) {
    assert(path in doc.paths, `${path} is documented`);
  }
});

Deno.test("errors: 404 unknown service, 400 bad input, 405 wrong method, 409 conflict", async () => {
  await using a = await api(STACK);
  a.t.engine.start();
  const missing = await a.call("POST", "/v1/services/nope/restart");
  assertEquals(missing.status, 404);
  assertMatch((await missing.json()).error.message, /no service named "nope"/);
  assertEquals((await a.call("GET", "/v1/logs?service=nope")).status, 404);
  const bad = await a.call("POST", "/v1/services/echo/scale", { replicas: "many" });
  assertEquals(bad.status, 400);
  await bad.body?.cancel();
  assertEquals((await a.call("GET", "/v1/logs?level=loud")).status, 400);
  assertEquals((await a.call("GET", "/v1/services/echo/restart")).status, 405);
  await a.t.engine.shutdown();
  const conflict = await a.call("POST", "/v1/services/echo/start");
  assertEquals(conflict.status, 409);
  assertMatch((await conflict.json()).error.message, /shutting down/);
});

Deno.test("send reaches stdin; logs by service, level and tail; follow streams new lines", async () => {
  await using a = await api(STACK);
  a.t.engine.start();
  await a.t.events.until(() => a.t.engine.status().every((s) => s.state === "ready"), "ready");
  const follow = await a.call("GET", "/v1/logs?service=echo&follow=true");
  const reader = follow.body!.pipeThrough(new TextDecoderStream()).getReader();
  const sent = await (await a.call("POST", "/v1/services/echo/send", { text: "hello" })).json();
  assertEquals(sent.delivered, 1);
  const text = await readUntil(reader, (t) => t.includes("got hello"), "the echo in the log");
  await reader.cancel();
  assertEquals(JSON.parse(text.trim().split("\n").at(-1)!).msg, "got hello");
  await a.t.events.until(
    () => a.t.logs.recent({ services: ["worker"] }).length === 2,
    "worker lines",
  );
  const warn = await (await a.call("GET", "/v1/logs?level=warn")).text();
  assertEquals(warn.trim().split("\n").map((l) => JSON.parse(l).msg), ["WARN slow start"]);
  const tail = await (await a.call("GET", "/v1/logs?service=worker&tail=1")).text();
  assertEquals(JSON.parse(tail).msg, "started");
  const future = await (await a.call("GET", `/v1/logs?since=${Date.now() + 60_000}`)).text();
  assertEquals(future, "");
});

Deno.test("events stream as server-sent events; metrics in Prometheus text", async () => {
  await using a = await api(STACK);
  const events = await a.call("GET", "/v1/events");
  assertEquals(events.headers.get("content-type"), "text/event-stream");
  const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
  a.t.engine.start();
  await readUntil(
    reader,
    (t) => /event: state\ndata: .*"service":"worker","replica":0,"state":"ready"/.test(t),
    "the event of worker ready",
  );
  await reader.cancel();
  // A process a moment old may have no resident pages yet (it is still being exec'ed).
  await waitFor(
    () => (a.t.engine.status({ usage: true })[0].usage?.rssBytes ?? 0) > 0,
    "echo's resident memory to be measured",
  );
  const metrics = await (await a.call("GET", "/metrics")).text();
  assertMatch(metrics, /orch_service_ready\{stack="[^"]+",service="echo",replica="0"\} 1/);
  assertMatch(metrics, /orch_service_state\{[^}]*service="worker"[^}]*state="ready"\} 1/);
  assertMatch(metrics, /orch_service_memory_rss_bytes\{[^}]*service="echo"[^}]*\} [1-9]\d*/);
  assertMatch(metrics, /# TYPE orch_service_restarts_total counter/);
});

Deno.test("tokens: 401 without or with a wrong one, 403 for read-only on a mutation", async () => {
  await using a = await api(STACK, { admin: "admin-secret", readOnly: "look-only" });
  a.t.engine.start();
  const none = await a.call("GET", "/v1/status");
  assertEquals(none.status, 401);
  assertEquals(none.headers.get("www-authenticate"), 'Bearer realm="orch"');
  await none.body?.cancel();
  assertEquals((await a.call("GET", "/v1/status", undefined, "guess")).status, 401);
  const read = await a.call("GET", "/v1/status", undefined, "look-only");
  assertEquals(read.status, 200);
  await read.body?.cancel();
  const denied = await a.call("POST", "/v1/services/echo/restart", undefined, "look-only");
  assertEquals(denied.status, 403);
  await denied.body?.cancel();
  const allowed = await a.call("POST", "/v1/services/echo/stop", undefined, "admin-secret");
  assertEquals(allowed.status, 200);
  await allowed.body?.cancel();
  assertEquals(a.t.engine.status()[0].state, "stopped");
});

Deno.test("apply through the API: a dry run plans, an invalid file is 422 with its line", async () => {
  await using a = await api(STACK);
  a.t.engine.start();
  await Deno.writeTextFile(
    `${a.t.dir}/next.yaml`,
    `services:\n  echo:\n    command: "cat"\n  extra: { command: "exec sleep 30" }\n`,
  );
  const plan = await (await a.call("POST", "/v1/apply", {
    files: [`${a.t.dir}/next.yaml`],
    dryRun: true,
  })).json();
  assertEquals(plan.plan.added, ["extra"]);
  assertEquals(plan.plan.removed, ["worker"]);
  assertEquals(plan.plan.changed[0].fields, ["command"]);
  await Deno.writeTextFile(`${a.t.dir}/bad.yaml`, `services:\n  echo:\n    comand: cat\n`);
  const bad = await a.call("POST", "/v1/apply", { files: [`${a.t.dir}/bad.yaml`] });
  assertEquals(bad.status, 422);
  const body = await bad.json();
  assertEquals(body.error.issues[0].line, 3);
  assertMatch(body.error.message, /comand/);
});

Deno.test("bad input is a 400 in orch's words: malformed escapes, wrong types, unknown fields", async () => {
  await using a = await api(STACK);
  a.t.engine.start();
  const cases: [string, string, unknown, RegExp][] = [
    ["GET", "/v1/services/%E0%A4%A", undefined, /not a valid percent-encoded name/],
    ["POST", "/v1/services/%zz/restart", undefined, /not a valid percent-encoded name/],
    ["POST", "/v1/services/echo/scale", { replicas: "3" }, /replicas: a whole number .* a string/],
    ["POST", "/v1/services/echo/scale", { replicas: 1.5 }, /replicas: a whole number .*1\.5/],
    ["POST", "/v1/services/echo/scale", { replicas: 2, extra: 1 }, /"extra": unknown field/],
    ["POST", "/v1/services/echo/send", { text: 5 }, /text: a string is expected, not a number/],
    ["POST", "/v1/services/echo/send", { text: { a: 1 } }, /text: .* not an object/],
    ["POST", "/v1/services/echo/stop", { now: true }, /takes no fields/],
    ["POST", "/v1/shutdown", { timeout: {} }, /timeout: a duration .* not an object/],
    ["POST", "/v1/shutdown", { timeout: [1] }, /timeout: .* not a list/],
    ["POST", "/v1/shutdown", { timeout: "soon" }, /"soon" is not a duration/],
    ["POST", "/v1/apply", { files: "stack.yaml" }, /files: a non-empty list/],
    ["POST", "/v1/apply", { files: [3] }, /files\[0\]: a string is expected/],
    ["POST", "/v1/apply", { dryRun: "yes" }, /dryRun: true or false/],
    ["POST", "/v1/apply", { dryrun: true }, /"dryrun": unknown field/],
    ["POST", "/v1/apply", { content: 7 }, /content: a string is expected/],
    ["POST", "/v1/apply", { content: "x", format: "json" }, /"json" is not yaml or toml/],
    ["POST", "/v1/apply", { content: "x", files: ["a.yaml"] }, /not files and content/],
    ["POST", "/v1/apply", { documents: [{ content: "x", mode: 1 }] }, /documents\[0\]\."mode"/],
    ["POST", "/v1/apply", [], /must be a JSON object, not a list/],
    ["POST", "/v1/apply", "nope", /must be a JSON object, not a string/],
    ["GET", "/v1/logs?tail=-1", undefined, /tail: "-1" is not a whole number/],
    ["GET", "/v1/logs?tail=1000001", undefined, /up to 100000/],
    ["GET", "/v1/logs?follow=maybe", undefined, /follow: "maybe" is not true or false/],
    ["GET", "/v1/status?usage=perhaps", undefined, /usage: "perhaps"/],
  ];
  for (const [method, path, body, message] of cases) {
    const response = await a.call(method, path, body);
    const text = await response.text();
    assertEquals(response.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${text}`);
    assertEquals(JSON.parse(text).error.kind, "bad_request");
    assertMatch(JSON.parse(text).error.message, message);
    assert(!/is not a function|Cannot read|undefined/.test(text), text);
  }
});

Deno.test("a body over its route's limit is a 413; a bug is a generic 500, its message in orch's log", async () => {
  const reported: unknown[] = [];
  await using a = await api(STACK, undefined, {
    wrap: (controller) => ({
      ...controller,
      status: () => {
        throw new TypeError("input.trim is not a function");
      },
    }),
    onInternalError: (e) => reported.push(e),
  });
  const big = await a.call("POST", "/v1/services/echo/send", { text: "x".repeat(2 << 20) });
  assertEquals(big.status, 413);
  assertMatch((await big.json()).error.message, /larger than 1048576 bytes/);
  const bug = await a.call("GET", "/v1/status");
  assertEquals(bug.status, 500);
  const text = await bug.text();
  assert(!text.includes("trim"), text);
  assertMatch(JSON.parse(text).error.message, /internal error; orch's log has the details/);
  assertMatch(String(reported[0]), /input\.trim is not a function/);
});

Deno.test("apply through the API takes the stack's content, and files only inside the project", async () => {
  await using a = await api(STACK);
  a.t.engine.start();
  const next = `services:\n  echo:\n    command: "cat"\n`;
  const plan = await (await a.call("POST", "/v1/apply", { content: next, dryRun: true })).json();
  assertEquals(plan.plan.removed, ["worker"]);
  assertEquals(plan.plan.changed[0].fields, ["command"]);
  const toml = await a.call("POST", "/v1/apply", {
    documents: [{ content: '[[task]]\nname = "echo"\ncmd = "cat"\n', format: "toml" }],
    dryRun: true,
  });
  assertEquals(toml.status, 200, await toml.clone().text());
  assertEquals((await toml.json()).plan.removed, ["worker"]);
  const outside = await a.call("POST", "/v1/apply", { files: ["/etc/hosts"], dryRun: true });
  assertEquals(outside.status, 403);
  assertMatch((await outside.json()).error.message, /outside the project directory/);
});
