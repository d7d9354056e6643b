/**
 * Scenarios 1 and 2: 100 services that sleep.
 * 1. Time from launch until all 100 exist; the manager's own memory (PSS) once settled; its CPU
 *    over idle seconds. The limit: a shell loop starting the same 100.
 * 2. Time until all 100 are gone after the stop request; again with 10 services (and their
 *    children) ignoring SIGTERM and a 2 s stop timeout.
 *
 * Run: `deno run -A bench/fanout.ts [--rounds 3] [--idle 10]`
 */
import { cpuSeconds, killMarked, median, processes, pssKiB, row, tempDir, until } from "./lib.ts";
import { watchExecs } from "./exec_watch.ts";
import {
  isOrch,
  orch,
  orchCached,
  s6,
  s6Bare,
  selectTools,
  shell,
  type Svc,
  type Tool,
} from "./peers.ts";

const arg = (name: string, fallback: number) => {
  const at = Deno.args.indexOf(name);
  return at >= 0 ? Number(Deno.args[at + 1]) : fallback;
};
const rounds = arg("--rounds", 3);
const idleS = arg("--idle", 10);
const N = 100;

function sleepers(marker: string, stubborn = 0): Svc[] {
  return Array.from({ length: N }, (_, i) => ({
    name: `s${i}`,
    // A distinct argument marks each sleeper; stubborn ones and their child ignore SIGTERM.
    command: i < stubborn
      ? `trap '' TERM; sleep ${marker}${String(i).padStart(3, "0")} & wait`
      : `exec sleep ${marker}${String(i).padStart(3, "0")}`,
  }));
}

interface Sample {
  startMs: number;
  pssMiB: number;
  idleCpuPct: number;
  /** NaN when the services were not all gone in time; `stopNote` then says how many were left. */
  stopMs: number;
  stopNote?: string;
}

/** When all N sleepers run `sleep` (not a wrapper whose arguments name it), and when all are gone. */
interface Clock {
  now(): number;
  /** The time the last of the N began to run `sleep`. */
  started(): Promise<number>;
  /** The time the last of them was gone (it throws, saying how many are left, after 15 s). */
  gone(): Promise<number>;
  close(): Promise<void>;
}

/**
 * As root, from the kernel's exec and exit events (bench/exec_watch.ts); otherwise by polling
 * /proc every 2 ms, which costs: 9 ms a poll with 300 processes here, a core of the two.
 */
let pollingSaid = false;
function clockFor(marker: string): Clock {
  const runs = (argv: readonly string[]) =>
    /(^|\/)sleep$/.test(argv[0] ?? "") && (argv[1] ?? "").startsWith(marker);
  const watch = watchExecs(`sleep ${marker}`, runs);
  if (typeof watch !== "string") {
    return {
      now: watch.now,
      started: () => watch.started(N, 60_000),
      gone: () => watch.gone(15_000),
      close: () => watch.close(),
    };
  }
  if (!pollingSaid) {
    console.error(`fanout: polling /proc (${watch}): the poller takes CPU from the tools`);
  }
  pollingSaid = true;
  const count = () => processes().filter((p) => runs(p.cmdline.split(" "))).length;
  return {
    now: () => performance.now(),
    started: () =>
      until(`all ${N} to run sleep`, () => count() >= N, 60_000, 2).then(() => performance.now()),
    gone: () =>
      until("all gone", () => count() === 0, 15_000, 2).then(
        () => performance.now(),
        () => {
          throw new Error(`${count()} left after 15 s`);
        },
      ),
    close: () => Promise.resolve(),
  };
}

async function once(tool: Tool, stubborn: number, measureIdle: boolean): Promise<Sample | string> {
  const dir = tempDir("fanout");
  const marker = `99${Math.floor(Math.random() * 1e5)}.`;
  const services = sleepers(marker, stubborn);
  await tool.prepare?.(dir, services, { stopTimeoutS: 2 });
  const clock = clockFor(marker);
  const t0 = clock.now();
  const running = await tool.start(dir, services, { stopTimeoutS: 2 });
  try {
    const startMs = (await clock.started()) - t0;
    let pssMiB = NaN;
    let idleCpuPct = NaN;
    if (measureIdle) {
      await new Promise((r) => setTimeout(r, 2000)); // settle
      pssMiB = running.managerPids().reduce((n, pid) => n + pssKiB(pid), 0) / 1024;
      const pids = running.managerPids();
      const before = cpuSeconds(pids);
      await new Promise((r) => setTimeout(r, idleS * 1000));
      idleCpuPct = ((cpuSeconds(pids) - before) / idleS) * 100;
    }
    const s0 = clock.now();
    const stopping = running.stop().catch(() => {});
    let stopMs = NaN;
    try {
      stopMs = (await clock.gone()) - s0;
    } catch (error) {
      return { startMs, pssMiB, idleCpuPct, stopMs, stopNote: (error as Error).message };
    }
    await stopping;
    return { startMs, pssMiB, idleCpuPct, stopMs };
  } finally {
    await clock.close();
    await running.kill().catch(() => {});
    // Peers that do not kill whole groups leave the stubborn ones' children behind.
    killMarked(marker);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

// orch twice: from a fresh directory and with its config cached. s6 twice: with a logger a
// service (as the log scenario runs it) and without.
const tools = selectTools(Deno.args).flatMap((t) =>
  t === orch ? [orch, orchCached] : t === s6 ? [s6, s6Bare] : [t]
);
const results = new Map<string, (Sample | string)[]>();
const stubbornResults = new Map<string, (Sample | string)[]>();
for (let r = 0; r < rounds; r++) {
  for (const tool of tools) {
    const list = results.get(tool.name) ?? [];
    list.push(await once(tool, 0, r === 0 && tool !== shell));
    results.set(tool.name, list);
    const hard = stubbornResults.get(tool.name) ?? [];
    hard.push(await once(tool, 10, false));
    stubbornResults.set(tool.name, hard);
  }
}

type Measure = "startMs" | "pssMiB" | "idleCpuPct" | "stopMs";
const numbers = (list: (Sample | string)[], key: Measure): number[] =>
  list.flatMap((s) => (typeof s === "string" || Number.isNaN(s[key]) ? [] : [s[key]]));
const failure = (list: (Sample | string)[]) =>
  list.find((s) => typeof s === "string") as string | undefined;
const limitStart = median(numbers(results.get(shell.name)!, "startMs"));

console.log("### Scenario 1: 100 services that sleep\n");
console.log(row(["tool", "start all 100", "vs limit", "manager PSS", "idle CPU (1 core)"]));
console.log(row(["---", "---", "---", "---", "---"]));
for (const tool of tools) {
  const list = results.get(tool.name)!;
  const start = median(numbers(list, "startMs"));
  const pss = numbers(list, "pssMiB")[0];
  const cpu = numbers(list, "idleCpuPct")[0];
  console.log(row([
    tool.name,
    `${start.toFixed(0)} ms`,
    `${(start / limitStart).toFixed(2)}x`,
    pss === undefined ? "-" : `${pss.toFixed(1)} MiB`,
    cpu === undefined ? "-" : `${cpu.toFixed(2)} %`,
  ]));
}
const peersOnly = tools.filter((t) => t !== shell && !isOrch(t));
const bestOf = (key: Measure) =>
  peersOnly.map((t) => ({ name: t.name, value: median(numbers(results.get(t.name)!, key)) }))
    .filter((p) => !Number.isNaN(p.value)).sort((a, b) => a.value - b.value)[0];
const orchOf = (key: Measure) => median(numbers(results.get("orch") ?? [], key));
const ratios = (["startMs", "pssMiB"] as const).flatMap((key) => {
  const best = bestOf(key);
  return best
    ? [
      `${key === "startMs" ? "start" : "memory"} ${
        (orchOf(key) / best.value).toFixed(2)
      }x (${best.name})`,
    ]
    : [];
});
console.log(`\norch / best peer: ${ratios.join(", ")}`);
const eachRound = tools.filter((t) => t !== shell).map((t) =>
  `${t.name} ${numbers(results.get(t.name)!, "startMs").map((ms) => ms.toFixed(0)).join(", ")}`
);
console.log(`\nstart all 100, each round (ms): ${eachRound.join("; ")}`);
console.log(
  `\n(median of ${rounds} rounds; memory and CPU from the first round, CPU over ${idleS} idle seconds)\n`,
);
console.log("### Scenario 2: stopping them\n");
console.log(row(["tool", "stop 100", "stop 100, 10 ignore SIGTERM (2 s timeout)"]));
console.log(row(["---", "---", "---"]));
for (const tool of tools) {
  const easy = results.get(tool.name)!;
  const hard = stubbornResults.get(tool.name)!;
  const cell = (list: (Sample | string)[]) => {
    const ms = numbers(list, "stopMs");
    if (ms.length === list.length) return `${median(ms).toFixed(0)} ms`;
    const note = list.find((s) => typeof s !== "string" && s.stopNote) as Sample | undefined;
    return `not done: ${note?.stopNote ?? failure(list)}`;
  };
  const limitHard = "n/a (a shell has no stop timeout)";
  console.log(row([tool.name, cell(easy), tool === shell ? limitHard : cell(hard)]));
}
