/**
 * The run DAG table: conditional branches, joins, Petit's conditions, retries, cancel, interrupts.
 */
import { assert, assertEquals } from "../assert.ts";
import {
  advance,
  type AttemptResult,
  type DagEffect,
  type DagEvent,
  type DagRun,
  newRun,
  outcomeOf,
  restoreRun,
  retryDelay,
  waitingTasks,
} from "../../src/schedule/dag.ts";
import type { Flow, TaskState } from "../../src/domain/flow.ts";
import { loadProject } from "../../src/config/flows/load.ts";
import { flowFrom } from "../../src/testing/flows.ts";

const seed = new URL("../../examples/seeds/conducktor-flow.yaml", import.meta.url).pathname;
const OK: AttemptResult = { ok: true, exit: { code: 0, signal: null } };
const fail = (code: number): AttemptResult => ({
  ok: false,
  exit: { code, signal: null },
  error: `exit code ${code}`,
});

/** Drives a run's table, keeping the effects. */
class Driver {
  run: DagRun;
  effects: DagEffect[] = [];
  now = 1_000;
  constructor(readonly flow: Flow) {
    this.run = newRun(flow);
    this.send({ type: "begin" });
  }
  send(event: DagEvent): DagEffect[] {
    const result = advance(this.flow, this.run, event, this.now);
    this.run = result.run;
    this.effects.push(...result.effects);
    return result.effects;
  }
  /** Starts and ends a task with `result`. */
  finish(task: string, result: AttemptResult): DagEffect[] {
    this.send({ type: "started", task });
    return this.send({ type: "exited", task, result });
  }
  state(task: string): TaskState {
    return this.run.tasks.get(task)!.state;
  }
  states(): Record<string, TaskState> {
    return Object.fromEntries([...this.run.tasks].map(([n, s]) => [n, s.state]));
  }
}

async function conducktor(): Promise<Flow> {
  return (await loadProject([seed], { env: () => undefined })).flows.flows["my-flow"];
}

Deno.test("Conducktor's flow: Second succeeds, Third runs and Fourth is skipped", async () => {
  const d = new Driver(await conducktor());
  assertEquals(waitingTasks(d.run), ["First task"]);
  d.finish("First task", OK);
  assertEquals(waitingTasks(d.run), ["Second task"]);
  d.finish("Second task", OK);
  assertEquals(d.state("Third task"), "waiting");
  assertEquals(d.state("Fourth task"), "skipped");
  assertEquals(d.run.tasks.get("Fourth task")!.error, "branch not taken: Second task succeeded");
  d.finish("Third task", OK);
  assertEquals(outcomeOf(d.flow, d.run), { status: "succeeded", failures: [], reason: undefined });
});

Deno.test("Conducktor's flow: Second fails, Fourth runs, the handled failure does not fail the run", async () => {
  const d = new Driver(await conducktor());
  d.finish("First task", OK);
  d.finish("Second task", fail(1));
  assertEquals(d.state("Third task"), "skipped");
  assertEquals(d.run.tasks.get("Third task")!.error, "branch not taken: Second task failed");
  assertEquals(waitingTasks(d.run), ["Fourth task"]);
  assertEquals(outcomeOf(d.flow, d.run), undefined);
  d.finish("Fourth task", OK);
  const outcome = outcomeOf(d.flow, d.run)!;
  assertEquals(outcome.status, "succeeded");
  assertEquals(outcome.failures, [{ task: "Second task", error: "exit code 1", handled: true }]);
});

const JOIN = `
flows:
  f:
    tasks:
      a: { command: "true" }
      b: { command: "true" }
      c: { command: "true" }
      d: { command: "true" }
      e: { command: "true" }
    dag:
      - "a: b"
      - "b?: c | d"
      - "c, d: e"
`;

Deno.test("a join below both branches runs when one branch succeeded and none failed unhandled", async () => {
  for (const bOutcome of [OK, fail(3)]) {
    const d = new Driver(await flowFrom(JOIN));
    d.finish("a", OK);
    d.finish("b", bOutcome);
    const taken = bOutcome.ok ? "c" : "d";
    d.finish(taken, OK);
    assertEquals(d.state(taken === "c" ? "d" : "c"), "skipped");
    assertEquals(waitingTasks(d.run), ["e"]);
    d.finish("e", OK);
    assertEquals(outcomeOf(d.flow, d.run)!.status, "succeeded");
  }
  // The branch that ran failed: the join is skipped and the run fails, saying why.
  const d = new Driver(await flowFrom(JOIN));
  d.finish("a", OK);
  d.finish("b", OK);
  d.finish("c", fail(2));
  assertEquals(d.state("e"), "skipped");
  assertEquals(d.run.tasks.get("e")!.error, "upstream c failed");
  const outcome = outcomeOf(d.flow, d.run)!;
  assertEquals([outcome.status, outcome.reason], ["failed", "c failed: exit code 2"]);
});

Deno.test("an unhandled failure skips what follows and fails the run with the reason", async () => {
  const d = new Driver(
    await flowFrom(`
flows:
  f:
    tasks:
      a: { command: "true" }
      b: { command: "true", dependsOn: [a] }
      c: { command: "true", dependsOn: [b] }
      side: { command: "true" }
`),
  );
  assertEquals(waitingTasks(d.run), ["a", "side"]);
  d.finish("a", fail(1));
  assertEquals([d.state("b"), d.state("c")], ["skipped", "skipped"]);
  assertEquals(d.run.tasks.get("c")!.error, "upstream b was skipped");
  d.finish("side", OK);
  assertEquals(outcomeOf(d.flow, d.run)!.reason, "a failed: exit code 1");
});

const PETIT = `
flows:
  f:
    tasks:
      a: { command: "true" }
      b: { command: "true", dependsOn: [a], condition: all_success }
      onfail: { command: "true", dependsOn: [a], condition: on_failure }
      done: { command: "true", dependsOn: [b], condition: all_done }
      always: { command: "true", dependsOn: [b], condition: always }
`;

Deno.test("Petit's conditions: all_success, on_failure, all_done, always", async () => {
  const ok = new Driver(await flowFrom(PETIT));
  ok.finish("a", OK);
  assertEquals([ok.state("b"), ok.state("onfail")], ["waiting", "skipped"]);
  ok.finish("b", fail(1));
  assertEquals([ok.state("done"), ok.state("always")], ["waiting", "waiting"]);
  ok.finish("done", OK);
  ok.finish("always", OK);
  // b's failure is handled by the tasks below it that run on all_done and always.
  assertEquals(outcomeOf(ok.flow, ok.run)!.status, "succeeded");

  const bad = new Driver(await flowFrom(PETIT));
  bad.finish("a", fail(1));
  assertEquals(bad.states(), {
    a: "failed",
    b: "skipped",
    onfail: "waiting",
    done: "skipped",
    always: "waiting",
  });
  assertEquals(bad.run.tasks.get("done")!.error, "upstream b was skipped");
});

Deno.test("retries on chosen exit codes with growing, capped delays; other codes fail at once", async () => {
  const flow = await flowFrom(`
flows:
  f:
    tasks:
      t:
        command: "true"
        retry: { attempts: 4, delay: 1s, factor: 2, maxDelay: 3s, onExitCodes: [75] }
`);
  const d = new Driver(flow);
  const timers: number[] = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    const effects = d.finish("t", fail(75));
    const timer = effects.find((e) => e.kind === "timer");
    assert(timer && timer.kind === "timer", "a retry timer");
    timers.push(timer.at - d.now);
    assertEquals(d.state("t"), "retrying");
    d.send({ type: "retryDue", task: "t" });
    assertEquals([d.state("t"), d.run.tasks.get("t")!.attempt], ["waiting", attempt + 1]);
  }
  assertEquals(timers, [1000, 2000, 3000]);
  d.finish("t", fail(75));
  assertEquals(d.state("t"), "failed");
  assertEquals(retryDelay(flow.tasks.t.retry, 10), 3000);

  const other = new Driver(flow);
  other.finish("t", fail(1));
  assertEquals(other.state("t"), "failed");
});

Deno.test("cancel stops what runs and cancels the rest; a stopped task ends cancelled", async () => {
  const d = new Driver(await flowFrom(JOIN));
  d.send({ type: "started", task: "a" });
  const effects = d.send({ type: "cancel", reason: "cancelled by the user" });
  assertEquals(effects.filter((e) => e.kind === "stop").map((e) => e.task), ["a"]);
  assertEquals(d.state("b"), "cancelled");
  assertEquals(outcomeOf(d.flow, d.run), undefined);
  d.send({ type: "exited", task: "a", result: { ok: false, error: "killed by SIGTERM" } });
  assertEquals(d.state("a"), "cancelled");
  assertEquals(outcomeOf(d.flow, d.run)!.status, "cancelled");
});

Deno.test("an interrupt re-queues what its budget allows and fails the rest", async () => {
  const flow = await flowFrom(`
flows:
  f:
    tasks:
      once: { command: "true" }
      twice: { command: "true", retry: 2 }
`);
  const d = new Driver(flow);
  d.send({ type: "started", task: "once" });
  d.send({ type: "started", task: "twice" });
  const effects = d.send({ type: "interrupt", counted: true });
  const rows = effects.flatMap((e) =>
    e.kind === "row" ? [[e.task, e.slot.attempt, e.slot.state]] : []
  );
  assertEquals(rows, [
    ["once", 1, "interrupted"],
    ["once", 1, "failed"],
    ["twice", 1, "interrupted"],
    ["twice", 2, "waiting"],
  ]);
  // A clean stop does not use up an attempt.
  const clean = new Driver(flow);
  clean.send({ type: "started", task: "once" });
  clean.send({ type: "interrupt", counted: false });
  assertEquals([clean.state("once"), clean.run.tasks.get("once")!.attempt], ["waiting", 2]);
  clean.finish("once", fail(1));
  assertEquals(clean.state("once"), "failed");
});

Deno.test("a run's table is rebuilt from its history rows", async () => {
  const flow = await flowFrom(JOIN);
  const row = (task: string, attempt: number, state: TaskState) => ({
    runId: 1,
    task,
    attempt,
    state,
    startedAt: undefined,
    endedAt: undefined,
    exit: undefined,
    error: undefined,
    outputs: {},
    waitingFor: undefined,
    retryAt: undefined,
    logPath: undefined,
    freeAttempts: 0,
  });
  const run = restoreRun(flow, [
    row("a", 1, "succeeded"),
    row("b", 2, "waiting"),
    row("b", 1, "retrying"),
    row("gone", 1, "running"),
  ]);
  assertEquals([...run.tasks.keys()], ["a", "b", "c", "d", "e"]);
  assertEquals(run.tasks.get("b")!.attempt, 2);
  assertEquals(waitingTasks(run), ["b"]);
});
