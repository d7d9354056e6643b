/**
 * The pure parts of the scheduler: slot allocation, admission by overlap policy, expansion of
 * references, outputs files.
 */
import { assertEquals } from "../assert.ts";
import { allocate, type Candidate, type Capacity } from "../../src/schedule/slots.ts";
import { admit } from "../../src/schedule/admission.ts";
import { expandCommand, expandText, parseOutputs } from "../../src/schedule/expand.ts";

const capacity = (over: Partial<Capacity> = {}): Capacity => ({
  maxExecutors: 3,
  busy: 0,
  pools: { db: 2 },
  poolUse: new Map(),
  running: () => 0,
  runLimit: () => Infinity,
  service: () => ({ state: "ready", ready: true }),
  ...over,
});
const task = (key: string, over: Partial<Candidate> = {}): Candidate => ({
  key,
  run: 1,
  slots: {},
  needs: [],
  ...over,
});

Deno.test("allocate: executors, pools, run concurrency and services, in order, no head-of-line", () => {
  const all = allocate([task("a"), task("b"), task("c"), task("d")], capacity());
  assertEquals(all.start.map((c) => c.key), ["a", "b", "c"]);
  assertEquals([...all.waiting], [["d", "an executor (3 of 3 busy)"]]);

  const pools = allocate(
    [task("x", { slots: { db: 2 } }), task("y", { slots: { db: 1 } }), task("z")],
    capacity({ poolUse: new Map([["db", 1]]) }),
  );
  // x cannot have 2 slots, y can have the one left, z needs none: x does not hold them back.
  assertEquals(pools.start.map((c) => c.key), ["y", "z"]);
  assertEquals(pools.waiting.get("x"), "pool db (1 of 2 in use, needs 2)");

  const perRun = allocate(
    [task("a"), task("b"), task("c", { run: 2 })],
    capacity({
      runLimit: (run) => (run === 1 ? 1 : Infinity),
    }),
  );
  assertEquals(perRun.start.map((c) => c.key), ["a", "c"]);
  assertEquals(perRun.waiting.get("b"), "run concurrency (1 of 1 running)");

  const service = allocate(
    [task("a", { needs: ["db"] }), task("b", { needs: ["gone"] })],
    capacity({
      service: (name) => (name === "db" ? { state: "starting", ready: false } : undefined),
    }),
  );
  assertEquals(service.start, []);
  assertEquals([...service.waiting.values()], [
    "service db to be ready (starting)",
    "service gone to be ready (not running)",
  ]);
});

Deno.test("admit: start with room, else by the overlap policy; catch-up runs queue", () => {
  const flow = (overlap: "skip" | "queue" | "allow" | "replace", maxActiveRuns = 1) => ({
    overlap,
    maxActiveRuns,
  });
  assertEquals(admit(flow("skip"), [], 0, "schedule"), { action: "start" });
  assertEquals(admit(flow("skip"), [4], 0, "schedule"), {
    action: "skip",
    reason: "overlap: run 4 is still running (overlap policy skip)",
  });
  assertEquals(admit(flow("skip"), [4], 0, "catchup"), { action: "queue" });
  assertEquals(admit(flow("queue"), [4], 0, "event"), { action: "queue" });
  assertEquals(admit(flow("replace"), [4, 5], 0, "manual"), { action: "replace", victim: 4 });
  assertEquals(admit(flow("allow", 2), [4], 0, "manual"), { action: "start" });
  assertEquals(admit(flow("allow", 2), [4, 5], 0, "manual"), { action: "queue" });
  // A queue keeps its order: a new run goes behind the queued ones.
  assertEquals(admit(flow("queue", 2), [4], 1, "manual"), { action: "queue" });
});

Deno.test("references expand in argv and env; a shell script gets them through variables", () => {
  const ctx = {
    config: { who: "world" },
    payload: { user: { name: "$(reboot)" }, n: 3, list: [1, 2] },
    outputs: new Map([["First task", { rows: "42" }]]),
  };
  assertEquals(
    expandText("${config.who} ${payload.n} ${payload.list} ${payload.nope}", ctx),
    "world 3 [1,2] ",
  );
  assertEquals(expandText("${tasks.First task.rows} ${config.constructor}", ctx), "42 ");
  assertEquals(expandCommand({ exec: ["echo", "${payload.user.name}"] }, ctx), {
    command: { exec: ["echo", "$(reboot)"] },
    env: {},
  });
  assertEquals(expandCommand({ shell: 'echo "${payload.user.name}" ${config.who}' }, ctx), {
    command: { shell: 'echo "${ORCH_REF_1}" ${ORCH_REF_2}' },
    env: { ORCH_REF_1: "$(reboot)", ORCH_REF_2: "world" },
  });
});

Deno.test("outputs files: key=value lines, comments and junk skipped, later keys win", () => {
  assertEquals(
    parseOutputs(
      "a=1\n# comment\n\nnot a pair\n=no key\nb = two\r\na=3\nbad key=x\nurl=http://x?a=b\n",
    ),
    { a: "3", b: " two", url: "http://x?a=b" },
  );
  const odd = parseOutputs("__proto__=x\nconstructor=y\n");
  assertEquals([Object.hasOwn(odd, "__proto__"), Object.getPrototypeOf(odd)], [
    true,
    Object.prototype,
  ]);
  assertEquals(odd.constructor as unknown, "y");
});
