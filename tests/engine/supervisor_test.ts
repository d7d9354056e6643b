import { assertEquals } from "../assert.ts";
import { backoffDelay } from "../../src/engine/backoff.ts";
import {
  initialModel,
  type InstanceModel,
  type SupervisorContext,
  type SupervisorEvent,
  transition,
} from "../../src/engine/supervisor.ts";

const policy = {
  mode: "always" as const,
  maxRetries: 3,
  backoff: { minMs: 100, maxMs: 1000, factor: 2, jitter: 0 },
  stableMs: 10_000,
};

function run(
  events: SupervisorEvent[],
  ctx: Partial<SupervisorContext> = {},
  start = initialModel(0),
) {
  let model: InstanceModel = start;
  const effects: string[] = [];
  let now = ctx.now ?? 0;
  for (const event of events) {
    const step = transition(model, event, {
      now,
      kind: "service",
      hasProbes: false,
      restart: policy,
      successCodes: [0],
      random: () => 0.5,
      ...ctx,
    });
    model = step.model;
    effects.push(...step.effects.map((e) => e.type + ("ms" in e ? `:${e.ms}` : "")));
    now += 1;
  }
  return { model, effects };
}

Deno.test("backoff grows by the factor, is capped, and jitter spreads it", () => {
  const b = { minMs: 500, maxMs: 30_000, factor: 2, jitter: 0 };
  assertEquals([0, 1, 2, 3, 10].map((n) => backoffDelay(b, n, Math.random)), [
    500,
    1000,
    2000,
    4000,
    30_000,
  ]);
  const j = { ...b, jitter: 0.2 };
  assertEquals(backoffDelay(j, 1, () => 0), 800);
  assertEquals(backoffDelay(j, 1, () => 0.9999999), 1200);
  assertEquals(backoffDelay(j, 10, () => 0.9999999), 30_000, "never above max");
});

Deno.test("the first restart is drawn over its whole range, from min to min * factor", () => {
  const b = { minMs: 500, maxMs: 30_000, factor: 2, jitter: 0.2 };
  assertEquals(backoffDelay(b, 0, () => 0), 500);
  assertEquals(backoffDelay(b, 0, () => 0.5), 750);
  assertEquals(backoffDelay(b, 0, () => 0.9999999), 1000);
  assertEquals(backoffDelay({ ...b, jitter: 0 }, 0, () => 0.9), 500, "no jitter, no spread");
  assertEquals(backoffDelay({ ...b, factor: 1 }, 0, () => 0), 400, "a flat backoff: ±jitter");
  assertEquals(backoffDelay({ ...b, maxMs: 600 }, 0, () => 0.9999999), 600, "never above max");
});

Deno.test("a service without probes is ready once spawned", () => {
  const { model, effects } = run([{ type: "up" }, { type: "depsMet" }, { type: "spawned" }]);
  assertEquals(model.state, "ready");
  assertEquals(effects, ["spawn"]);
});

Deno.test("a service with probes waits for them, then is ready", () => {
  const ctx = { hasProbes: true };
  const { model, effects } = run([{ type: "up" }, { type: "depsMet" }, { type: "spawned" }], ctx);
  assertEquals(model.state, "running");
  assertEquals(effects, ["spawn", "startProbes"]);
  assertEquals(
    run([{ type: "healthy", detail: "probe http: 200 OK" }], ctx, model).model.state,
    "ready",
  );
});

Deno.test("a crash loop backs off exponentially then fails with the reason", () => {
  const crash: SupervisorEvent[] = [
    { type: "spawned" },
    { type: "exited", exit: { code: 1, signal: null } },
    { type: "backoffElapsed" },
    { type: "depsMet" },
  ];
  const { model, effects } = run([
    { type: "up" },
    { type: "depsMet" },
    ...crash,
    ...crash,
    ...crash,
    { type: "spawned" },
    { type: "exited", exit: { code: 1, signal: null } },
  ]);
  assertEquals(effects.filter((e) => e.startsWith("armBackoff")), [
    "armBackoff:100",
    "armBackoff:200",
    "armBackoff:400",
  ]);
  assertEquals(model.state, "failed");
  assertEquals(model.message, "gave up after 3 restarts: exit code 1");
  assertEquals(model.restarts, 3);
});

Deno.test("the retry count resets after a stable run", () => {
  const start = {
    ...initialModel(0),
    state: "ready" as const,
    want: "up" as const,
    attempts: 3,
    startedAt: 0,
  };
  const { model } = run(
    [{ type: "exited", exit: { code: 1, signal: null } }],
    { now: 20_000 },
    start,
  );
  assertEquals(model.state, "backoff");
  assertEquals(model.attempts, 1);
});

Deno.test("oneshots complete on success codes and fail otherwise under policy never", () => {
  const ctx = {
    kind: "oneshot" as const,
    restart: { ...policy, mode: "never" as const },
    successCodes: [0, 3],
  };
  const base: SupervisorEvent[] = [{ type: "up" }, { type: "depsMet" }, { type: "spawned" }];
  assertEquals(
    run([...base, { type: "exited", exit: { code: 3, signal: null } }], ctx).model.state,
    "completed",
  );
  const failed = run([...base, { type: "exited", exit: { code: 2, signal: null } }], ctx).model;
  assertEquals([failed.state, failed.message], ["failed", "exit code 2"]);
});

Deno.test("down while starting stops the instance as soon as it is spawned", () => {
  const { model, effects } = run([{ type: "up" }, { type: "depsMet" }, { type: "down" }, {
    type: "spawned",
  }]);
  assertEquals(model.state, "stopping");
  assertEquals(effects, ["spawn", "stop"]);
  const after = run([{ type: "exited", exit: { code: null, signal: "SIGTERM" } }], {}, model);
  assertEquals(after.model.state, "stopped");
});

Deno.test("a user restart stops, then waits for dependencies again without backoff", () => {
  const ready = run([{ type: "up" }, { type: "depsMet" }, { type: "spawned" }]).model;
  const stopping = run([{ type: "restart" }], {}, ready);
  assertEquals(stopping.effects, ["stopProbes", "stop"]);
  const exited = run(
    [{ type: "exited", exit: { code: null, signal: "SIGTERM" } }],
    {},
    stopping.model,
  );
  assertEquals(exited.model.state, "waiting");
  assertEquals(exited.model.restarts, 1);
});

Deno.test("failing liveness after ready restarts the service with backoff", () => {
  const ctx = { hasProbes: true };
  const ready = run([{ type: "up" }, { type: "depsMet" }, { type: "spawned" }, {
    type: "healthy",
    detail: "ok",
  }], ctx).model;
  const unready = run([{ type: "unhealthy", reason: "probe http: 503" }], ctx, ready);
  assertEquals(unready.model.state, "stopping");
  assertEquals(unready.model.message, "unready: probe http: 503");
  const exited = run(
    [{ type: "exited", exit: { code: null, signal: "SIGTERM" } }],
    ctx,
    unready.model,
  );
  assertEquals(exited.model.state, "backoff");
});

Deno.test("readiness only: failing probes after ready unready the instance, passing ones ready it", () => {
  const ctx = { hasProbes: true, onFailure: "unready" as const };
  const ready = run([{ type: "up" }, { type: "depsMet" }, { type: "spawned" }, {
    type: "healthy",
    detail: "ok",
  }], ctx).model;
  const unready = run([{ type: "unhealthy", reason: "probe cmd: exit code 1" }], ctx, ready);
  assertEquals(
    [unready.model.state, unready.model.message, unready.model.readyAt, unready.effects],
    ["running", "unready: probe cmd: exit code 1", undefined, []],
    "no stop, and the probes keep running",
  );
  const again = run([{ type: "healthy", detail: "probe cmd: exit code 0" }], ctx, unready.model);
  assertEquals([again.model.state, again.model.restarts], ["ready", 0]);
});

Deno.test("a dependency timeout fails the waiting instance with the reason", () => {
  const reason = {
    target: "db",
    condition: "ready",
    because: "timed-out",
    detail: "",
    timeoutMs: 1000,
  } as const;
  const { model } = run([{ type: "up" }, { type: "depsTimedOut", reason }]);
  assertEquals([model.state, model.message], ["failed", "dependency db not ready after 1s"]);
  assertEquals(model.blocked, reason, "the reason stays on the failed instance, as data");
  const again = run([{ type: "up" }], undefined, model).model;
  assertEquals([again.state, again.blocked], ["waiting", undefined]);
});

Deno.test("a blocked instance keeps why as data until it leaves waiting", () => {
  const reason = {
    target: "db",
    condition: "ready",
    because: "unmet",
    detail: "probe tcp: connection refused",
    timeoutMs: 60_000,
  } as const;
  const { model } = run([{ type: "up" }, { type: "depsBlocked", reason }]);
  assertEquals(
    [model.state, model.message, model.blocked],
    [
      "waiting",
      "blocked: dependency db not ready (timeout 1m, probe tcp: connection refused)",
      reason,
    ],
  );
  const started = run([{ type: "depsMet" }], undefined, model).model;
  assertEquals([started.state, started.blocked], ["starting", undefined]);
  const stopped = run([{ type: "down" }], undefined, model).model;
  assertEquals([stopped.state, stopped.blocked], ["stopped", undefined]);
});

Deno.test("a waiting instance says what it waits for: its dependencies, or only its turn", () => {
  assertEquals(run([{ type: "up" }]).model.message, "waiting for dependencies");
  assertEquals(run([{ type: "up" }], { hasDependencies: false }).model.message, "waiting to start");
});
