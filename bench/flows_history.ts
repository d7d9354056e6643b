/**
 * Flows 3: the history at size. 100,000 runs of 10 flows (each with 3 task rows) recorded through
 * the SQLite store, then the queries the API makes: the latest 50 runs of one flow, the next page,
 * the failed runs of a flow, the latest 50 of all flows, one run with its tasks; each the median of
 * 200 calls. Also the recording rate and the file's size.
 *
 * Run: `deno run -A bench/flows_history.ts [--runs 100000]`
 */
import { SqliteHistory } from "../src/store/sqlite.ts";
import { median, row, tempDir } from "./lib.ts";

const total = Number(Deno.args[Deno.args.indexOf("--runs") + 1]) || 100_000;
const FLOWS = 10;
const dir = tempDir("flows-history");
const db = new SqliteHistory(`${dir}/history.db`);

const recordStart = performance.now();
for (let i = 0; i < total; i++) {
  const { run } = db.createRun({
    flow: `flow${i % FLOWS}`,
    status: "running",
    trigger: { kind: "schedule", detail: "* * * * *" },
    payload: { i },
    queuedAt: 1_700_000_000_000 + i * 1000,
    startedAt: 1_700_000_000_000 + i * 1000,
    tasks: ["extract", "transform", "load"],
  });
  db.updateRun(run.id, {
    status: i % 17 === 0 ? "failed" : "succeeded",
    endedAt: 1_700_000_000_000 + i * 1000 + 500,
  });
}
const recordMs = performance.now() - recordStart;

function timeOf(fn: () => unknown, calls = 200): number {
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return median(times);
}

const first = db.runs({ flow: "flow3", limit: 50 });
const queries: [string, () => unknown, number][] = [
  ["latest 50 runs of one flow", () => db.runs({ flow: "flow3", limit: 50 }), 50],
  ["the next page of 50", () => db.runs({ flow: "flow3", limit: 50, before: first.next }), 50],
  ["latest 50 failed runs of one flow", () => db.runs({ flow: "flow3", status: ["failed"] }), 50],
  ["latest 50 runs of all flows", () => db.runs({ limit: 50 }), 50],
  ["one run and its tasks", () => [db.run(first.runs[0].id), db.tasks(first.runs[0].id)], 1],
];
console.log(
  `### Flows 3: the history with ${total.toLocaleString("en-US")} runs of ${FLOWS} flows\n`,
);
console.log(row(["query", "median", "rows"]));
console.log(row(["---", "---", "---"]));
for (const [what, fn, rows] of queries) {
  console.log(row([what, `${(timeOf(fn) * 1000).toFixed(0)} µs`, rows]));
}
db.close();
const size = Deno.statSync(`${dir}/history.db`).size;
console.log(
  `\n(recorded at ${(total / (recordMs / 1000)).toFixed(0)} runs/s, each a run and 3 task rows ` +
    `in one transaction then an update; ${(size / 1048576).toFixed(1)} MiB; no peer here keeps ` +
    `a run history: n/a)`,
);
await Deno.remove(dir, { recursive: true }).catch(() => {});
