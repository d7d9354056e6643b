import { assertEquals } from "../assert.ts";
import { gate, type GateSnapshot, isStuck } from "../../src/engine/gating.ts";
import type { TargetView } from "../../src/engine/dependencies.ts";
import { initialModel, type InstanceModel } from "../../src/engine/supervisor.ts";
import type { Dependency } from "../../src/domain/model.ts";
import { describeBlocked } from "../../src/domain/state.ts";

const on = (target: string, patch: Partial<Dependency> = {}): Dependency => ({
  target,
  require: "ready",
  restart: false,
  timeoutMs: undefined,
  ...patch,
});

function snapshot(
  instances: Record<string, Partial<InstanceModel>[]>,
  waitAfter: Record<string, number> = {},
  deps: Record<string, Dependency[]> = {},
): GateSnapshot {
  return {
    instancesOf: (name) =>
      (instances[name] ?? []).map((patch): TargetView => ({
        model: { ...initialModel(0), ...patch },
        dependsOn: deps[name] ?? [],
      })),
    waitAfterMs: (name) => waitAfter[name] ?? 0,
  };
}

Deno.test("met once every dependency is; else blocked on the first that is not, as data", () => {
  const snap = snapshot({
    db: [{ state: "ready", startedAt: 0, readyAt: 10 }],
    cache: [{ state: "running", startedAt: 0, message: "waiting for probes" }],
  });
  assertEquals(gate([on("db")], 0, snap, 100), { verdict: { kind: "met" }, retryAt: Infinity });
  const blocked = gate([on("db"), on("cache", { timeoutMs: 60_000 }), on("nothing")], 0, snap, 100);
  assertEquals(blocked, {
    verdict: {
      kind: "blocked",
      reason: {
        target: "cache",
        condition: "ready",
        because: "unmet",
        detail: "running: waiting for probes",
        timeoutMs: 60_000,
      },
    },
    retryAt: 60_000,
  });
  assertEquals(
    blocked.verdict.kind === "blocked" && describeBlocked(blocked.verdict.reason),
    "blocked: dependency cache not ready (timeout 1m, running: waiting for probes)",
  );
  assertEquals(gate([on("nothing")], 0, snap, 100).verdict, {
    kind: "blocked",
    reason: { target: "nothing", condition: "ready", because: "no-replicas", detail: "" },
  });
});

Deno.test("a timeout fails the wait exactly when it passes, and is the time to look again", () => {
  const snap = snapshot({ db: [{ state: "running", startedAt: 0 }] });
  const dep = on("db", { timeoutMs: 400 });
  const before = gate([dep], 1_000, snap, 1_399);
  assertEquals([before.verdict.kind, before.retryAt], ["blocked", 1_400]);
  const after = gate([dep], 1_000, snap, 1_400);
  assertEquals(after.verdict, {
    kind: "timedOut",
    reason: {
      target: "db",
      condition: "ready",
      because: "timed-out",
      detail: "running",
      timeoutMs: 400,
    },
  });
  assertEquals(
    after.verdict.kind === "timedOut" && describeBlocked(after.verdict.reason),
    "dependency db not ready after 400ms (running)",
  );
});

Deno.test("waitAfter is a reason of its own and a time to look again", () => {
  const snap = snapshot({ migrate: [{ state: "completed", startedAt: 0, since: 500 }] }, {
    migrate: 1_000,
  });
  const waiting = gate([on("migrate", { require: "completed" })], 0, snap, 600);
  assertEquals(waiting, {
    verdict: {
      kind: "blocked",
      reason: {
        target: "migrate",
        condition: "completed",
        because: "wait-after",
        detail: "wait_after 1s",
      },
    },
    retryAt: 1_500,
  });
  assertEquals(gate([on("migrate", { require: "completed" })], 0, snap, 1_500).verdict.kind, "met");
});

Deno.test("a chain: blocked behind a blocked target, failed behind a failed one; stuck when it cannot start", () => {
  const dbFailed = { state: "failed" as const, message: "exit code 3" };
  const apiReason = {
    target: "db",
    condition: "ready",
    because: "failed",
    detail: "exit code 3",
  } as const;
  const snap = snapshot(
    {
      db: [dbFailed],
      api: [{ state: "waiting", blocked: apiReason, message: describeBlocked(apiReason) }],
    },
    {},
    { api: [on("db")] },
  );
  const web = gate([on("api")], 0, snap, 0);
  assertEquals(web.verdict, {
    kind: "blocked",
    reason: {
      target: "api",
      condition: "ready",
      because: "blocked",
      detail: "dependency db failed (exit code 3)",
    },
  });
  assertEquals(
    web.verdict.kind === "blocked" && describeBlocked(web.verdict.reason),
    "blocked: dependency api blocked (dependency db failed (exit code 3))",
  );
  assertEquals(isStuck([on("api")], snap), true, "api waits on a failed db: web never starts");
  const healthy = snapshot({ db: [{ state: "running" }] });
  assertEquals(isStuck([on("db")], healthy), false);
  assertEquals(isStuck([on("gone")], healthy), true, "no instance at all: nothing will come");
});
