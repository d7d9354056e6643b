/**
 * Flows 1: overhead per task on a DAG of 100 tasks that run `true` (10 layers of 10, each task
 * after two of the layer above), beside `make -j` and `ninja -j` on the same graph, all with as
 * many tasks at once as the machine has cores. orch is measured in-process (trigger to run end,
 * every task a process, every change written to SQLite) and through the CLI
 * (`orch run --jobs DIR --trigger dag`, Deno's start included).
 *
 * Run: `deno run -A bench/flows_dag.ts [--rounds 3]`
 */
import { loadProject } from "../src/config/flows/load.ts";
import { testFlows } from "../src/testing/flows.ts";
import { has, median, ORCH, row, run, tempDir } from "./lib.ts";

const rounds = Number(Deno.args[Deno.args.indexOf("--rounds") + 1]) || 3;
const LAYERS = 10;
const WIDTH = 10;
const TASKS = LAYERS * WIDTH;
const jobs = navigator.hardwareConcurrency || 2;

const name = (layer: number, i: number) => `t${layer}_${i}`;
const upstream = (layer: number, i: number) =>
  layer === 0 ? [] : [name(layer - 1, i), name(layer - 1, (i + 1) % WIDTH)];
const all = Array.from(
  { length: LAYERS },
  (_, l) => Array.from({ length: WIDTH }, (_, i) => [l, i]),
)
  .flat();

function flowFile(): string {
  const tasks = all.map(([l, i]) => {
    const deps = upstream(l, i);
    return `  ${name(l, i)}:\n    command: ["true"]\n` +
      (deps.length ? `    dependsOn: [${deps.join(", ")}]\n` : "");
  });
  return `name: dag\ntasks:\n${tasks.join("")}`;
}

function makefile(): string {
  const lines = [".PHONY: all " + all.map(([l, i]) => name(l, i)).join(" ")];
  lines.push(`all: ${Array.from({ length: WIDTH }, (_, i) => name(LAYERS - 1, i)).join(" ")}`);
  for (const [l, i] of all) lines.push(`${name(l, i)}: ${upstream(l, i).join(" ")}\n\t@true`);
  return lines.join("\n") + "\n";
}

function ninjaFile(): string {
  // Outputs that are never written: every edge runs each time, as a phony make target does.
  const lines = ["rule t", "  command = true", ""];
  for (const [l, i] of all) {
    const deps = upstream(l, i);
    lines.push(`build ${name(l, i)}: t${deps.length ? ` | ${deps.join(" ")}` : ""}`);
  }
  lines.push(`default ${Array.from({ length: WIDTH }, (_, i) => name(LAYERS - 1, i)).join(" ")}`);
  return lines.join("\n") + "\n";
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const dir = tempDir("flows-dag");
await Deno.mkdir(`${dir}/jobs`);
await Deno.writeTextFile(`${dir}/jobs/dag.yaml`, flowFile());
await Deno.writeTextFile(`${dir}/Makefile`, makefile());
await Deno.writeTextFile(`${dir}/build.ninja`, ninjaFile());

const project = await loadProject([`${dir}/jobs`], { env: () => undefined });
const inProcess: number[] = [];
for (let r = 0; r < rounds; r++) {
  // A directory of its own each round, removed with it.
  await using t = await testFlows(project.flows, { maxExecutors: jobs });
  t.scheduler.start({ schedules: false });
  inProcess.push(
    await timed(async () => {
      const ended = await t.scheduler.wait(t.scheduler.trigger("dag").run.id);
      if (ended.status !== "succeeded") {
        throw new Error(`the DAG run ${ended.status}: ${ended.reason}`);
      }
    }),
  );
}
const cli: number[] = [];
for (let r = 0; r < rounds; r++) {
  cli.push(
    await timed(() =>
      run([
        ...ORCH,
        "run",
        "--jobs",
        "jobs",
        "--trigger",
        "dag",
        "--max-executors",
        String(jobs),
        "--db",
        `${dir}/cli-${r}.db`,
      ], { cwd: dir })
    ),
  );
}
const make: number[] = [];
const ninja: number[] = [];
for (let r = 0; r < rounds; r++) {
  make.push(await timed(() => run(["make", "-s", `-j${jobs}`], { cwd: dir })));
  if (has("ninja")) {
    ninja.push(await timed(() => run(["ninja", "-j", String(jobs)], { cwd: dir })));
  }
}
await Deno.remove(dir, { recursive: true }).catch(() => {});

const line = (tool: string, ms: number | undefined, note: string) =>
  console.log(row([
    tool,
    ms === undefined ? "n/a" : `${ms.toFixed(0)} ms`,
    ms === undefined ? "-" : `${(ms / TASKS).toFixed(2)} ms`,
    note,
  ]));
console.log(`### Flows 1: a DAG of ${TASKS} tasks running \`true\`, ${jobs} at once\n`);
console.log(row(["tool", "whole DAG", "per task", "what is counted"]));
console.log(row(["---", "---", "---", "---"]));
line(
  "orch (in-process)",
  median(inProcess),
  "trigger to run end; a process and SQLite rows per task",
);
line(
  "orch run --jobs --trigger",
  median(cli),
  "the command, Deno's start and config load included",
);
line("make -j", median(make), "the command");
line(
  "ninja -j",
  ninja.length ? median(ninja) : undefined,
  has("ninja") ? "the command" : "not installed",
);
console.log(`\n(median of ${rounds} rounds)`);
