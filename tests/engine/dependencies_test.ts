import { assertEquals } from "../assert.ts";
import { checkDependency, type TargetView } from "../../src/engine/dependencies.ts";
import { initialModel, type InstanceModel } from "../../src/engine/supervisor.ts";
import type { Dependency } from "../../src/domain/model.ts";
import { describeBlocked } from "../../src/domain/state.ts";

const dep = (require: Dependency["require"]): Dependency => ({
  target: "db",
  require,
  restart: false,
  timeoutMs: undefined,
});
const view = (patch: Partial<InstanceModel>, health?: string): TargetView => ({
  model: { ...initialModel(0), ...patch },
  ...(health ? { describeHealth: () => health } : {}),
});

Deno.test("started, ready and completed, each after wait_after", () => {
  const running = view({ state: "running", startedAt: 1000 }, "probe tcp: connection refused");
  assertEquals(checkDependency(dep("started"), [running], 0, 1000).ok, true);
  assertEquals(checkDependency(dep("ready"), [running], 0, 1000), {
    ok: false,
    because: "unmet",
    detail: "probe tcp: connection refused",
    retryAt: undefined,
  });
  const ready = view({ state: "ready", startedAt: 1000, readyAt: 1500 });
  assertEquals(checkDependency(dep("ready"), [ready], 3000, 2000), {
    ok: false,
    because: "wait-after",
    detail: "wait_after 3s",
    retryAt: 4500,
  });
  assertEquals(checkDependency(dep("ready"), [ready], 3000, 4500).ok, true);
  const done = view({ state: "completed", startedAt: 1000 });
  assertEquals(checkDependency(dep("completed"), [done, running], 0, 5000).ok, false);
  assertEquals(checkDependency(dep("completed"), [done, done], 0, 5000).ok, true);
  assertEquals(checkDependency(dep("ready"), [], 0, 0), { ok: false, because: "no-replicas" });
});

Deno.test("a failed or blocked target says so, for the chain of messages", () => {
  const failed = view({ state: "failed", message: "gave up after 2 restarts: exit code 3" });
  assertEquals(checkDependency(dep("ready"), [failed], 0, 0), {
    ok: false,
    because: "failed",
    detail: "gave up after 2 restarts: exit code 3",
    retryAt: undefined,
  });
  const reason = {
    target: "cache",
    condition: "ready",
    because: "failed",
    detail: "exit 1",
  } as const;
  const blocked = view({ state: "waiting", message: describeBlocked(reason), blocked: reason });
  assertEquals(blocked.model.message, "blocked: dependency cache failed (exit 1)");
  assertEquals(checkDependency(dep("ready"), [blocked], 0, 0), {
    ok: false,
    because: "blocked",
    detail: "dependency cache failed (exit 1)",
    retryAt: undefined,
  });
});

Deno.test("completed waits wait_after from the completion too (a oneshot target)", () => {
  const done = view({ state: "completed", startedAt: 1000, since: 1200 });
  assertEquals(checkDependency(dep("completed"), [done], 500, 1300), {
    ok: false,
    because: "wait-after",
    detail: "wait_after 500ms",
    retryAt: 1700,
  });
  assertEquals(checkDependency(dep("completed"), [done], 500, 1700).ok, true);
  const later = view({ state: "completed", startedAt: 1000, since: 1400 });
  assertEquals(
    checkDependency(dep("completed"), [done, later], 500, 1700).retryAt,
    1900,
    "every replica must have completed wait_after ago",
  );
});
