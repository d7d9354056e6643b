/**
 * The change logic (scale, apply, rollouts, restarts) over a pool of plain instances: what it asks
 * of the pool, in what order, and what it reports. The pool is a pure unit here; the engine's own
 * is exercised with real processes in apply_test.ts.
 */
import { assertEquals, assertMatch, assertRejects } from "../assert.ts";
import { Changes, type Pool, readyBudgetMs } from "../../src/engine/changes.ts";
import { type Service, type Stack, withService } from "../../src/domain/model.ts";
import { ConflictError, NotFoundError, UsageError } from "../../src/domain/errors.ts";
import type { EngineEvent } from "../../src/domain/state.ts";
import { testService } from "../../src/testing/fixtures.ts";

interface Inst {
  spec: Service;
  readonly replica: number;
  /** `v1`, `v2`: which definition it was made from, by its command. */
  readonly version: string;
}

const versionOf = (svc: Service) => svc.command && "shell" in svc.command ? svc.command.shell : "?";

function stackOf(...services: Service[]): Stack {
  let table: Record<string, Service> = Object.create(null);
  for (const s of services) table = withService(table, s.name, s);
  return { name: "s", workdir: "/tmp", files: [], services: table, shutdownTimeoutMs: 60_000 };
}

/** A pool that records what it is asked; `ready` says whether (and when) instances become ready. */
class FakePool implements Pool<Inst> {
  current: Stack;
  readonly slots = new Map<string, Inst[]>();
  readonly log: string[] = [];
  readonly events: EngineEvent[] = [];
  readonly budgets: number[] = [];
  stoppingNow = false;
  /** What `awaitReady` answers for these instances (undefined: ready). */
  ready: (instances: readonly Inst[]) => string | undefined | Promise<string | undefined> = () =>
    undefined;

  constructor(stack: Stack) {
    this.current = stack;
    for (const svc of Object.values(stack.services)) {
      this.slots.set(svc.name, []);
      for (let r = 0; r < svc.replicas; r++) {
        this.slots.get(svc.name)!.push({ spec: svc, replica: r, version: versionOf(svc) });
      }
    }
  }

  #name = (i: Inst) => `${i.spec.name}.${i.replica} ${i.version}`;
  stack = () => this.current;
  setStack = (stack: Stack) => void (this.current = stack);
  stopping = () => this.stoppingNow;
  has = (name: string) => this.slots.has(name);
  instancesOf = (name: string) => [...(this.slots.get(name) ?? [])];
  specOf = (i: Inst) => i.spec;
  replicaOf = (i: Inst) => i.replica;
  setSpec = (i: Inst, spec: Service) => void (i.spec = spec);
  add = (spec: Service, replica?: number): Inst => {
    const list = this.slots.get(spec.name) ?? [];
    let r = replica ?? 0;
    if (replica === undefined) { while (list.some((i) => i.replica === r)) r++; }
    const inst = { spec, replica: r, version: versionOf(spec) };
    list.push(inst);
    list.sort((a, b) => a.replica - b.replica);
    this.slots.set(spec.name, list);
    this.log.push(`add ${this.#name(inst)}`);
    return inst;
  };
  retire = (i: Inst): Promise<void> => {
    this.log.push(`retire ${this.#name(i)}`);
    const list = this.slots.get(i.spec.name)!;
    list.splice(list.indexOf(i), 1);
    return Promise.resolve();
  };
  restart = (i: Inst) => void this.log.push(`restart ${this.#name(i)}`);
  awaitReady = async (instances: readonly Inst[], budgetMs?: number) => {
    this.log.push(`await ${instances.map(this.#name).join(", ")}`);
    if (budgetMs !== undefined) this.budgets.push(budgetMs);
    return await this.ready(instances);
  };
  forget = (name: string) => void this.slots.delete(name);
  ensure = (name: string) => void (this.slots.has(name) || this.slots.set(name, []));
  emit = (event: EngineEvent) => void this.events.push(event);
  now = () => 0;

  rollout(): string[] {
    return this.events.flatMap((e) => (e.type === "rollout" ? [`${e.phase}: ${e.message}`] : []));
  }
}

const api = (patch: Partial<Service> = {}) =>
  testService({ name: "api", command: { shell: "v1" }, replicas: 3, ...patch });
const v2 = (svc: Service, patch: Partial<Service> = {}) => ({
  ...svc,
  command: { shell: "v2" },
  ...patch,
});

Deno.test("a rolling update without surge replaces one replica at a time, on its own index", async () => {
  const pool = new FakePool(stackOf(api()));
  const result = await new Changes(pool).apply(stackOf(v2(api())));
  assertEquals(result.failed, {});
  assertEquals(pool.log, [
    "retire api.0 v1",
    "add api.0 v2",
    "await api.0 v2",
    "retire api.1 v1",
    "add api.1 v2",
    "await api.1 v2",
    "retire api.2 v1",
    "add api.2 v2",
    "await api.2 v2",
  ]);
  assertEquals(pool.rollout(), [
    "started: rolling update of 3 replica(s), maxUnavailable 1, maxSurge 0",
    "progress: 1/3 replicas replaced",
    "progress: 2/3 replicas replaced",
    "progress: 3/3 replicas replaced",
    "done: 3 replica(s) on the new definition",
  ]);
});

Deno.test("with a surge, a new replica is ready before an old one stops; maxUnavailable batches", async () => {
  const surge = api({
    replicas: 2,
    update: { strategy: "rolling", maxUnavailable: 1, maxSurge: 1 },
  });
  const pool = new FakePool(stackOf(surge));
  await new Changes(pool).apply(stackOf(v2(surge)));
  assertEquals(pool.log, [
    "add api.2 v2",
    "await api.2 v2",
    "retire api.0 v1",
    "add api.0 v2",
    "await api.0 v2",
    "retire api.1 v1",
  ]);
  const wide = api({ update: { strategy: "rolling", maxUnavailable: 2, maxSurge: 0 } });
  const batched = new FakePool(stackOf(wide));
  await new Changes(batched).apply(stackOf(v2(wide)));
  assertEquals(batched.log.filter((l) => l.startsWith("await")), [
    "await api.0 v2, api.1 v2",
    "await api.2 v2",
  ]);
});

Deno.test("a replacement that is not ready stops the rollout and rolls back to the old definition", async () => {
  const pool = new FakePool(stackOf(api()));
  pool.ready = (
    list,
  ) => (list.some((i) => i.version === "v2" && i.replica === 1)
    ? "api.1 failed: exit code 3"
    : undefined);
  const changes = new Changes(pool);
  const result = await changes.apply(stackOf(v2(api())));
  assertEquals(result.failed, { api: "api.1 failed: exit code 3" });
  assertEquals(pool.log, [
    "retire api.0 v1",
    "add api.0 v2",
    "await api.0 v2",
    "retire api.1 v1",
    "add api.1 v2",
    "await api.1 v2",
    "retire api.1 v2", // the replacement that failed
    "add api.1 v1", // one old replica back for each one retired and not replaced
    "await api.1 v1",
    "retire api.0 v2", // then the new ones give way to old ones again
    "add api.0 v1",
    "await api.0 v1",
  ]);
  assertEquals(pool.rollout(), [
    "started: rolling update of 3 replica(s), maxUnavailable 1, maxSurge 0",
    "progress: 1/3 replicas replaced",
    "failed: api.1 failed: exit code 3; rolling back",
    "progress: rollback: 1/1 replicas replaced",
    "rolledBack: old version serving again",
  ]);
  assertEquals(pool.instancesOf("api").map((i) => i.version), ["v1", "v1", "v1"]);
  assertEquals(
    versionOf(pool.current.services.api),
    "v1",
    "the stack keeps the definition that serves",
  );
});

Deno.test("recreate stops every replica, then starts the new ones", async () => {
  const svc = api({
    replicas: 2,
    update: { strategy: "recreate", maxUnavailable: 1, maxSurge: 0 },
  });
  const pool = new FakePool(stackOf(svc));
  await new Changes(pool).apply(stackOf(v2(svc)));
  assertEquals(pool.log, ["retire api.0 v1", "retire api.1 v1", "add api.0 v2", "add api.1 v2"]);
  assertEquals(pool.rollout(), ["started: recreating 2 instance(s)", "done: recreated"]);
});

Deno.test("apply removes, adds and rolls out changed services dependencies first", async () => {
  const db = testService({ name: "db", command: { shell: "v1" } });
  const web = testService({
    name: "web",
    command: { shell: "v1" },
    dependsOn: [{ target: "db", require: "ready", timeoutMs: undefined, restart: false }],
  });
  const old = testService({ name: "old", command: { shell: "v1" } });
  const pool = new FakePool(stackOf(web, db, old));
  const fresh = testService({ name: "fresh", command: { shell: "v1" }, replicas: 2 });
  const result = await new Changes(pool).apply(stackOf(v2(web), v2(db), fresh));
  assertEquals(result.plan.removed, ["old"]);
  assertEquals(pool.log, [
    "retire old.0 v1",
    "add fresh.0 v1",
    "add fresh.1 v1",
    "retire db.0 v1",
    "add db.0 v2",
    "await db.0 v2",
    "retire web.0 v1",
    "add web.0 v2",
    "await web.0 v2",
  ]);
  assertEquals(pool.has("old"), false, "a removed service's slot is forgotten");
});

Deno.test("one scale or apply at a time; none once the stack is stopping", async () => {
  const pool = new FakePool(stackOf(api()));
  const gate = Promise.withResolvers<undefined>();
  pool.ready = () => gate.promise;
  const changes = new Changes(pool);
  const applying = changes.apply(stackOf(v2(api())));
  const busy = await assertRejects(() => changes.scale("api", 5), ConflictError);
  assertEquals(busy.message, "an apply is in progress");
  gate.resolve(undefined);
  await applying;
  pool.stoppingNow = true;
  const stopping = await assertRejects(() => changes.scale("api", 5), ConflictError);
  assertEquals(stopping.message, "the stack is shutting down");
  await assertRejects(() => changes.restart("api"), ConflictError);
});

Deno.test("scale adds the lowest free indexes and retires the highest; it checks what it is given", async () => {
  const pool = new FakePool(stackOf(api({ replicas: 2 })));
  const changes = new Changes(pool);
  await changes.scale("api", 4);
  await changes.scale("api", 1);
  assertEquals(pool.log, [
    "add api.2 v1",
    "add api.3 v1",
    "retire api.3 v1",
    "retire api.2 v1",
    "retire api.1 v1",
  ]);
  assertEquals(pool.current.services.api.replicas, 1);
  assertEquals(
    (await assertRejects(() => changes.scale("nope", 1), NotFoundError)).message,
    'no service named "nope"',
  );
  assertMatch(
    (await assertRejects(() => changes.scale("api", 1001), UsageError)).message,
    /from 0 to 1000, not 1001/,
  );
  assertMatch(
    (await assertRejects(() => changes.scale("api", 1.5), UsageError)).message,
    /whole number/,
  );
  const job = new FakePool(stackOf(testService({ name: "job", kind: "oneshot" })));
  assertEquals(
    (await assertRejects(() => new Changes(job).scale("job", 2), UsageError)).message,
    '"job" is a oneshot; it runs once',
  );
});

Deno.test("restart goes in batches of maxUnavailable for a rolling service, each ready before the next", async () => {
  const svc = api({ replicas: 5, update: { strategy: "rolling", maxUnavailable: 2, maxSurge: 0 } });
  const pool = new FakePool(stackOf(svc));
  await new Changes(pool).restart("api");
  assertEquals(pool.log, [
    "restart api.0 v1",
    "restart api.1 v1",
    "await api.0 v1, api.1 v1",
    "restart api.2 v1",
    "restart api.3 v1",
    "await api.2 v1, api.3 v1",
    "restart api.4 v1",
    "await api.4 v1",
  ]);
  const budget = readyBudgetMs(svc) + svc.stop.timeoutMs;
  assertEquals(
    pool.budgets,
    [budget, budget, budget],
    "each batch gets its ready budget and its stop timeout",
  );
  const all = new FakePool(
    stackOf(api({ update: { strategy: "recreate", maxUnavailable: 1, maxSurge: 0 } })),
  );
  await new Changes(all).restart("api");
  assertEquals(all.log.filter((l) => l.startsWith("await")), [
    "await api.0 v1, api.1 v1, api.2 v1",
  ]);
  const job = new FakePool(stackOf(testService({ name: "job", kind: "oneshot" })));
  await new Changes(job).restart("job");
  assertEquals(job.budgets, [Infinity], "a oneshot may run as long as it needs");
});

Deno.test("a restart stops at the first batch that is not ready, saying why", async () => {
  const svc = api({ replicas: 3, update: { strategy: "rolling", maxUnavailable: 1, maxSurge: 0 } });
  const pool = new FakePool(stackOf(svc));
  pool.ready = (list) => (list[0].replica === 1 ? "api.1 backoff: exit code 1" : undefined);
  const changes = new Changes(pool);
  const error = await assertRejects(() => changes.restart("api"), ConflictError);
  assertEquals(error.message, "restart of api failed: api.1 backoff: exit code 1");
  assertEquals(pool.log.filter((l) => l.startsWith("restart")), [
    "restart api.0 v1",
    "restart api.1 v1",
  ]);
  assertEquals(
    (await assertRejects(() => changes.restart("nope"), NotFoundError)).message,
    'no service named "nope"',
  );
});
