/**
 * The TUI under a flood, in a real terminal (tmux, 120x40):
 * 1. a service writes 1,000,000 lines as fast as it can: the writer's time beside the limit (the
 *    same writer into /dev/null) and beside `orch up --no-tui` into /dev/null; and, with orch's
 *    output read from a pipe, the time from the writer's start until orch has printed the last
 *    line and persisted it (beside the same writer read from a pipe, the limit);
 * 2. a service writes 100,000 lines a second for 5 s: the time it took (5 s when nothing slows it),
 *    and whether the TUI kept drawing.
 * For each: the frames the TUI drew and their rate, and orch's CPU time (from /usr/bin/time).
 *
 * Run: `deno run -A bench/tui_flood.ts` (needs tmux, python3 and /usr/bin/time).
 */
import { ORCH } from "./lib.ts";

/** orch's command line for a shell (bench/lib.ts's ORCH, each word quoted). */
const orchSh = ORCH.map((w) => `'${w.replaceAll("'", `'"'"'`)}'`).join(" ");
const LINES = 1_000_000;
const FAST =
  `s=$(date +%s%N); echo "start $s"; seq 1 ${LINES}; e=$(date +%s%N); echo "wrote ${LINES} lines in $(( (e-s)/1000000 )) ms"`;
const PACED = `python3 -c '
import sys, time
start = time.time(); n = 0
for b in range(500):
    sys.stdout.write("".join("line %d\\\\n" % (n + i) for i in range(1000))); n += 1000
    d = start + (b + 1) * 0.01 - time.time()
    if d > 0: time.sleep(d)
sys.stdout.flush(); print("wrote %d lines in %d ms" % (n, (time.time() - start) * 1000))
'`;

async function sh(command: string, cwd?: string): Promise<string> {
  const out = await new Deno.Command("sh", {
    args: ["-c", command],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`${command}: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

function writerMs(text: string): number {
  const match = /wrote \d+ lines in (\d+) ms/.exec(text);
  if (!match) throw new Error(`no timing in: ${text.slice(-300)}`);
  return Number(match[1]);
}

async function project(writer: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "orch-flood-" });
  await Deno.writeTextFile(
    `${dir}/stack.yaml`,
    `services:\n  flood:\n    kind: oneshot\n    command: ${JSON.stringify(writer)}\n`,
  );
  return dir;
}

function writerLine(dir: string): string {
  const text = Deno.readTextFileSync(`${dir}/.orch/logs/orch.ndjson`);
  return text.slice(text.lastIndexOf("wrote "));
}

/** `/usr/bin/time -f` output: elapsed, user, system. */
function parseTime(text: string): { wall: number; cpu: number } {
  const [wall, user, system] = text.trim().split("\n").at(-1)!.split(" ").map(Number);
  return { wall, cpu: user + system };
}

interface Run {
  ms: number;
  wall: number;
  cpu: number;
  frames?: number;
}

async function plain(writer: string): Promise<Run> {
  const dir = await project(writer);
  await sh(
    `/usr/bin/time -f "%e %U %S" -o time.txt ${orchSh} up --no-tui > /dev/null`,
    dir,
  );
  const run = {
    ms: writerMs(writerLine(dir)),
    ...parseTime(await Deno.readTextFile(`${dir}/time.txt`)),
  };
  await Deno.remove(dir, { recursive: true });
  return run;
}

async function withTui(writer: string): Promise<Run> {
  const dir = await project(writer);
  const server = `orch-bench-${crypto.randomUUID().slice(0, 8)}`;
  await sh(
    `tmux -L ${server} new-session -d -x 120 -y 40 -s b ` +
      `"cd ${dir} && ORCH_TUI_STATS=${dir}/stats.json /usr/bin/time -f '%e %U %S' -o time.txt ` +
      `${orchSh} up; touch done; sleep 60"`,
  );
  const deadline = Date.now() + 300_000;
  let pressed = false;
  while (Date.now() < deadline) {
    try {
      await Deno.stat(`${dir}/done`);
      break;
    } catch {
      // A stack that ended by itself: the TUI holds its final table until a key is pressed.
      if (!pressed) {
        const pane = await sh(`tmux -L ${server} capture-pane -p -t b`).catch(() => "");
        if (pane.includes("press any key")) {
          await sh(`tmux -L ${server} send-keys -t b q`);
          pressed = true;
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await sh(`tmux -L ${server} kill-server`).catch(() => "");
  const stats = JSON.parse(await Deno.readTextFile(`${dir}/stats.json`));
  const run = {
    ms: writerMs(writerLine(dir)),
    ...parseTime(await Deno.readTextFile(`${dir}/time.txt`)),
    frames: stats.frames,
  };
  await Deno.remove(dir, { recursive: true });
  return run;
}

/** Milliseconds since the epoch, to the microsecond. */
const nowMs = () => performance.timeOrigin + performance.now();

/**
 * Runs `command` (argv) with its stdout read here; resolves with the time from the writer's
 * "start N" line to the moment the last line (`| 1000000`, or `1000000` alone) was read, and
 * until `persisted()` (polled) holds as well.
 */
async function drain(
  command: string[],
  cwd: string,
  persisted: () => boolean,
): Promise<{ printed: number; done: number }> {
  const child = new Deno.Command(command[0], {
    args: command.slice(1),
    cwd,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const decoder = new TextDecoder();
  let start = NaN;
  let printed = NaN;
  let tail = "";
  const reading = (async () => {
    for await (const chunk of child.stdout) {
      if (!Number.isNaN(printed)) continue;
      // Only the end of what was read matters: the start line, then the last line.
      tail = (tail + decoder.decode(chunk)).slice(-64 * 1024);
      if (Number.isNaN(start)) {
        const m = /start (\d+)\n/.exec(tail);
        if (m) start = Number(m[1]) / 1e6;
      }
      if (/(^|[| ])1000000\n/m.test(tail.slice(-200))) printed = nowMs();
    }
  })();
  let done = NaN;
  while (Number.isNaN(done)) {
    if (!Number.isNaN(printed) && persisted()) done = nowMs();
    else await new Promise((r) => setTimeout(r, 1));
  }
  await child.status;
  await reading;
  return { printed: printed - start, done: done - start };
}

/** Whether the persisted log's last record is `1000000` (or a later line of the run). */
function persistedAll(dir: string): boolean {
  try {
    const file = Deno.openSync(`${dir}/.orch/logs/orch.ndjson`);
    try {
      const size = file.statSync().size;
      const buffer = new Uint8Array(Math.min(size, 4096));
      file.seekSync(size - buffer.length, Deno.SeekMode.Start);
      let at = 0;
      while (at < buffer.length) at += file.readSync(buffer.subarray(at)) ?? buffer.length;
      const text = new TextDecoder().decode(buffer);
      return text.includes('"msg":"1000000"') || text.includes('"msg":"wrote ');
    } finally {
      file.close();
    }
  } catch {
    return false;
  }
}

const row = (name: string, r: Run, base: number) =>
  `| ${name} | ${r.ms} ms | ${(r.ms / base).toFixed(2)}x | ${r.wall.toFixed(2)} s | ${
    r.cpu.toFixed(2)
  } s | ${r.frames ?? "-"} | ${r.frames ? (r.frames / r.wall).toFixed(1) : "-"} |`;

const plainOnly = Deno.args.includes("--plain");
const rounds = Number(Deno.args[Deno.args.indexOf("--rounds") + 1]) || 1;
const limit = writerMs(await sh(`(${FAST}) > /dev/null; ${FAST} | tail -1`));
// Printed and persisted: orch's output through a pipe to this process, beside the writer alone;
// the median of the rounds.
const drains: { printed: number; done: number }[] = [];
const limitDrains: { printed: number; done: number }[] = [];
for (let r = 0; r < rounds; r++) {
  limitDrains.push(await drain(["sh", "-c", FAST], "/tmp", () => true));
  const floodDir = await project(FAST);
  drains.push(
    await drain(
      [...ORCH, "up", "--no-tui"],
      floodDir,
      () => persistedAll(floodDir),
    ),
  );
  await Deno.remove(floodDir, { recursive: true });
}
const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `### The TUI under a flood\n\n| run | writer time | vs limit | orch wall | orch CPU | frames | frames/s |`,
);
console.log(`|---|---|---|---|---|---|---|`);
console.log(
  `| 1M lines at full speed: seq into /dev/null (limit) | ${limit} ms | 1.00x | - | - | - | - |`,
);
console.log(row("1M lines at full speed: orch up --no-tui > /dev/null", await plain(FAST), limit));
if (!plainOnly) {
  console.log(row("1M lines at full speed: orch up with the TUI", await withTui(FAST), limit));
  console.log(row("100k lines/s for 5 s: orch up with the TUI", await withTui(PACED), 5000));
}
console.log(
  `\n| 1M lines, from the writer's start | printed (read from a pipe) | printed and persisted |` +
    `\n|---|---|---|\n| limit: seq into a pipe | ${
      mid(limitDrains.map((d) => d.printed)).toFixed(0)
    } ms | - |` +
    `\n| orch up --no-tui | ${mid(drains.map((d) => d.printed)).toFixed(0)} ms | ${
      mid(drains.map((d) => d.done)).toFixed(0)
    } ms |`,
);
console.log(`\n(printed and persisted: median of ${rounds} round(s))`);
