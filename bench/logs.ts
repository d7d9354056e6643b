/**
 * Scenario 3: log throughput. 4 services write 250,000 lines each as fast as they can; the time
 * from launch until all 1,000,000 lines are in the tool's log files, and how many were lost or
 * corrupted (split, merged, out of order). The limit: the same writers straight into files.
 *
 * The end is the same for every tool: once all the lines are there (counted as they grow, or,
 * for a tool that exits when its services have, counted after it exits), the last time any of
 * its log files was written (their mtime: on Linux 6.13 and later as fine as the clock). A tool's
 * own shutdown after its last write is not part of the figure (s6 and supervisord never exit);
 * for orch, which does, the time it exited is shown beside it. orch runs twice: from a fresh
 * directory, and with its config cached (`orch validate` run untimed first, as s6's scan directory
 * is written untimed).
 *
 * The machine's memory is in the same state for every tool. This VM hands freed memory back to
 * its host (free page reporting), and the first write to such a page costs the host's fault: 120
 * MB written into fresh page cache took 210-400 ms after a few idle seconds and 24-28 ms right
 * after other writes. So each tool has a warm-up run, then its rounds back to back (each after
 * the tool's own previous run, as hyperfine's --warmup does): the main figure. Then a round each
 * after 3 idle seconds, the figure of a flood that comes after a quiet spell. Run in turn, tool
 * after tool, the first tool of each round wrote into cold memory and the others did not.
 *
 * Run: `deno run -A bench/logs.ts [--rounds 3]`
 */
import { median, row, tempDir, until } from "./lib.ts";
import { isOrch, orch, orchCached, selectTools, shell, type Svc, type Tool } from "./peers.ts";

const rounds = Number(Deno.args[Deno.args.indexOf("--rounds") + 1]) || 3;
const WRITERS = 4;
const LINES = 250_000;
const TOTAL = WRITERS * LINES;

const services: Svc[] = Array.from({ length: WRITERS }, (_, i) => ({
  name: `w${i + 1}`,
  command: `awk 'BEGIN { for (i = 1; i <= ${LINES}; i++) print "w${i + 1} " i }'`,
}));

/** Counts newlines in files as they grow, reading only what is new. */
class Counter {
  readonly #offsets = new Map<string, number>();
  count = 0;
  constructor(readonly files: readonly string[]) {}
  poll(): number {
    for (const file of this.files) {
      let f: Deno.FsFile;
      try {
        f = Deno.openSync(file);
      } catch {
        continue;
      }
      try {
        const offset = this.#offsets.get(file) ?? 0;
        f.seekSync(offset, Deno.SeekMode.Start);
        const buf = new Uint8Array(1 << 20);
        let read = offset;
        for (;;) {
          const n = f.readSync(buf);
          if (!n) break;
          for (let i = 0; i < n; i++) if (buf[i] === 10) this.count++;
          read += n;
        }
        this.#offsets.set(file, read);
      } finally {
        f.close();
      }
    }
    return this.count;
  }
}

/** Lines lost and corrupted: each writer's lines must all be there, whole and in order. */
function verify(tool: Tool, files: readonly string[]): { lost: number; corrupt: number } {
  const next = new Map(services.map((s) => [s.name, 1]));
  let corrupt = 0;
  let good = 0;
  for (const file of files) {
    let text: string;
    try {
      text = Deno.readTextFileSync(file);
    } catch {
      continue;
    }
    for (let line of text.split("\n")) {
      if (!line) continue;
      if (isOrch(tool)) {
        try {
          line = JSON.parse(line).msg;
        } catch {
          corrupt++;
          continue;
        }
      }
      const match = /^(w\d) (\d+)$/.exec(line);
      if (!match || next.get(match[1]) !== Number(match[2])) {
        corrupt++;
        continue;
      }
      next.set(match[1], Number(match[2]) + 1);
      good++;
    }
  }
  return { lost: TOTAL - good - corrupt > 0 ? TOTAL - good : 0, corrupt };
}

interface Result {
  /** From launch to the last write of the tool's log files. */
  ms: number;
  /** From launch to its exit, for a tool that exits by itself. */
  exitMs?: number;
  lost: number;
  corrupt: number;
}

/** The last time (ms since the epoch) any of `files` was written. */
function lastWrite(files: readonly string[]): number {
  let last = -Infinity;
  for (const file of files) {
    try {
      last = Math.max(last, Deno.statSync(file).mtime?.getTime() ?? -Infinity);
    } catch {
      // that generation does not exist
    }
  }
  return last;
}

async function once(tool: Tool): Promise<Result | string> {
  const dir = tempDir("logs");
  await tool.prepare?.(dir, services);
  const t0 = performance.now();
  // The files' times are the wall clock's.
  const launched = Date.now();
  const running = await tool.start(dir, services);
  try {
    const counter = new Counter(running.logFiles);
    let exitMs: number | undefined;
    try {
      if (running.exited) {
        // It rotates its file as it goes: count once it has finished.
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          running.exited,
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("late")), 60_000))),
        ]).finally(() => clearTimeout(timer));
        // It exits once every record is written: counted afterwards, so that counting 100 MB of
        // NDJSON as it grows does not take the CPU it runs on.
        exitMs = performance.now() - t0;
        if (counter.poll() < TOTAL) throw new Error("short");
      } else await until("all lines persisted", () => counter.poll() >= TOTAL, 60_000, 2);
    } catch {
      const { lost, corrupt } = verify(tool, running.logFiles);
      return `${counter.count} of ${TOTAL} lines after 60 s (lost ${lost}, corrupt ${corrupt})`;
    }
    // Before the tool is stopped (which may write to its files).
    const ms = lastWrite(running.logFiles) - launched;
    return { ms, ...(exitMs !== undefined ? { exitMs } : {}), ...verify(tool, running.logFiles) };
  } finally {
    await running.stop().catch(() => {});
    await running.kill().catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

const IDLE_MS = 3000;
// orch twice: from a fresh directory (the loader process included) and with its config cached, as
// a project's second `orch up` starts (s6's scan directory is written for it, untimed, too).
const tools = selectTools(Deno.args).flatMap((t) => t === orch ? [orch, orchCached] : [t]);
const results = new Map<string, (Result | string)[]>(tools.map((t) => [t.name, []]));
/** Runs after an idle spell, and the warm-ups: their losses count too. */
const others = new Map<string, (Result | string)[]>(tools.map((t) => [t.name, []]));
const afterIdle = new Map<string, (Result | string)[]>(tools.map((t) => [t.name, []]));
for (const tool of tools) {
  others.get(tool.name)!.push(await once(tool));
  for (let r = 0; r < rounds; r++) results.get(tool.name)!.push(await once(tool));
}
for (let r = 0; r < rounds; r++) {
  for (const tool of tools) {
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    afterIdle.get(tool.name)!.push(await once(tool));
  }
}
const ok = (list: (Result | string)[]) => list.filter((x): x is Result => typeof x !== "string");
const limit = median(ok(results.get(shell.name)!).map((r) => r.ms));
console.log("### Scenario 3: 4 writers x 250,000 lines\n");
console.log(row([
  "tool",
  "all 1,000,000 persisted",
  "vs limit",
  `after ${IDLE_MS / 1000} s idle`,
  "lost",
  "corrupted",
  "the tool exited",
]));
console.log(row(["---", "---", "---", "---", "---", "---", "---"]));
for (const tool of tools) {
  const list = results.get(tool.name)!;
  const good = ok(list);
  if (good.length === 0) {
    console.log(row([tool.name, `never: ${list[0]}`, "-", "-", "-", "-", "-"]));
    continue;
  }
  const ms = median(good.map((r) => r.ms));
  const idle = ok(afterIdle.get(tool.name)!);
  const every = [...good, ...idle, ...ok(others.get(tool.name)!)];
  const exits = good.flatMap((r) => r.exitMs !== undefined ? [r.exitMs] : []);
  console.log(row([
    tool.name,
    `${ms.toFixed(0)} ms`,
    `${(ms / limit).toFixed(2)}x`,
    idle.length ? `${median(idle.map((r) => r.ms)).toFixed(0)} ms` : "-",
    String(Math.max(...every.map((r) => r.lost))),
    String(Math.max(...every.map((r) => r.corrupt))),
    exits.length ? `${median(exits).toFixed(0)} ms` : "-",
  ]));
}
const intact = tools.filter((t) => t !== shell && !isOrch(t)).flatMap((t) => {
  const good = ok(results.get(t.name)!).filter((r) => r.lost === 0 && r.corrupt === 0);
  return good.length ? [{ name: t.name, ms: median(good.map((r) => r.ms)) }] : [];
}).sort((a, b) => a.ms - b.ms)[0];
for (const name of tools.filter(isOrch).map((t) => t.name)) {
  const orchMs = median(ok(results.get(name)!).map((r) => r.ms));
  if (!intact || Number.isNaN(orchMs)) continue;
  const orchIdle = median(ok(afterIdle.get(name)!).map((r) => r.ms));
  const peerIdle = median(ok(afterIdle.get(intact.name)!).map((r) => r.ms));
  console.log(
    `\n${name} / best peer that loses nothing: ` +
      `${(orchMs / intact.ms).toFixed(2)}x (${intact.name})` +
      (Number.isNaN(orchIdle) || Number.isNaN(peerIdle)
        ? ""
        : `, after ${IDLE_MS / 1000} s idle: ${(orchIdle / peerIdle).toFixed(2)}x`),
  );
}
console.log(
  `\n(median of ${rounds} rounds, each tool's back to back after a warm-up run; then ${rounds} ` +
    `rounds each after ${IDLE_MS / 1000} idle seconds; time from launch to the last write of the ` +
    "tool's log files, so it includes each tool's start-up and not its shutdown)",
);
