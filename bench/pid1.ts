/**
 * PID 1: orch beside tini and dumb-init, each as the init of a fresh PID namespace (`unshare --pid
 * --fork --mount-proc`) on the same work.
 *
 * 1. Reaping: a child makes 1,000 orphans that exit at once, then waits until no zombie is left in
 *    the namespace (polling /proc every 10 ms). Reported: the time from the first orphan to no
 *    zombie, and the lag after the last one was made.
 * 2. tini's matrix: the exit code of the child (0, 1, 2, 42, 127, 128, 255) as the init's own, and
 *    what TERM, INT, HUP and QUIT to the init do to a child that stops on them, and to one that
 *    ignores SIGTERM: the init's exit code and how long it took (orch with a 2 s stop timeout).
 *
 * Run: `deno run -A bench/pid1.ts [--rounds 3]` (tini and dumb-init from bench/setup.sh).
 */
import { has, median, ORCH, row, tempDir } from "./lib.ts";

const rounds = Number(Deno.args[Deno.args.indexOf("--rounds") + 1]) || 3;

type Init = { name: string; argv: (dir: string, script: string) => string[] };

/** A stack whose one service runs `script`; `required` makes its exit code orch's. */
function orchStack(dir: string, script: string, kind: string): string {
  Deno.writeTextFileSync(
    `${dir}/stack.yaml`,
    `stack: { shutdownTimeout: 10s }\nservices:\n  work:\n    kind: ${kind}\n    required: true\n` +
      `    restartPolicy: never\n    stop: { timeout: 2s }\n    command: ["sh", "-c", ${
        JSON.stringify(script)
      }]\n`,
  );
  return `${dir}/stack.yaml`;
}

const INITS: Init[] = ([
  {
    name: "orch",
    argv: (dir, script) => [
      ...ORCH,
      "up",
      "--no-tui",
      "-f",
      orchStack(dir, script, script.includes("exec sleep") ? "service" : "oneshot"),
    ],
  },
  { name: "tini", argv: (_dir, script) => ["tini", "--", "sh", "-c", script] },
  { name: "dumb-init", argv: (_dir, script) => ["dumb-init", "sh", "-c", script] },
] as Init[]).filter((i) => i.name === "orch" || has(i.name));

interface Ran {
  code: number;
  output: string;
  ms: number;
}

/** Runs `init` as PID 1 of a new namespace; `signal` is sent once the child printed "up". */
async function asInit(init: Init, script: string, signal?: Deno.Signal): Promise<Ran> {
  const dir = tempDir("pid1");
  const child = new Deno.Command("unshare", {
    args: ["--pid", "--fork", "--mount-proc", "--kill-child", ...init.argv(dir, script)],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  let signalledAt = 0;
  const decoder = new TextDecoder();
  const read = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      output += decoder.decode(chunk, { stream: true });
      if (signal && !signalledAt && /\bup\b/.test(output)) {
        signalledAt = performance.now();
        const pid = Number(Deno.readTextFileSync(`/proc/${child.pid}/task/${child.pid}/children`));
        Deno.kill(pid, signal);
      }
    }
  };
  const limit = setTimeout(() => child.kill("SIGKILL"), 8_000);
  const [status] = await Promise.all([child.status, read(child.stdout), read(child.stderr)]);
  clearTimeout(limit);
  Deno.removeSync(dir, { recursive: true });
  const ms = signalledAt ? performance.now() - signalledAt : 0;
  return { code: status.signal === "SIGKILL" ? -1 : status.code, output, ms };
}

const REAP = `
now() { date +%s%N; }
t0=$(now)
i=0; while [ $i -lt 1000 ]; do (true &); i=$((i+1)); done
t1=$(now)
while [ "$(cat /proc/[0-9]*/stat 2>/dev/null | grep -c ') Z ')" != 0 ]; do sleep 0.01; done
t2=$(now)
echo "reaped total=$(( (t2-t0)/1000000 )) lag=$(( (t2-t1)/1000000 ))"
`;

console.log("### PID 1: reaping 1,000 orphans, and tini's matrix\n");
console.log(
  `Each init is PID 1 of its own PID namespace. Reaping: median of ${rounds} rounds; "lag" is ` +
    "the time from the last orphan made to no zombie left (the polling itself costs up to 10 ms).\n",
);
console.log(row(["init", "1,000 orphans: first made -> none left", "lag after the last"]));
console.log(row(["---", "---", "---"]));
for (const init of INITS) {
  const totals: number[] = [];
  const lags: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const ran = await asInit(init, REAP);
    const m = /reaped total=(\d+) lag=(\d+)/.exec(ran.output);
    if (m) {
      totals.push(Number(m[1]));
      lags.push(Number(m[2]));
    }
  }
  console.log(row([
    init.name,
    totals.length ? `${median(totals)} ms` : "did not finish in 8 s",
    lags.length ? `${median(lags)} ms` : "n/a",
  ]));
}

const codes = [0, 1, 2, 42, 127, 128, 255];
console.log("\nExit code of the child -> exit code of the init:\n");
console.log(row(["init", ...codes.map(String)]));
console.log(row(["---", ...codes.map(() => "---")]));
for (const init of INITS) {
  const got = [];
  for (const code of codes) got.push((await asInit(init, `exit ${code}`)).code);
  console.log(row([init.name, ...got.map((c, i) => (c === codes[i] ? `${c}` : `**${c}**`))]));
}

const STOPS = "echo up; exec sleep 300";
const IGNORES = "trap '' TERM; echo up; while :; do sleep 0.1; done";
console.log(
  "\nA signal to the init while its child runs (`sleep`, or a shell that ignores SIGTERM): the " +
    "init's exit code and the time from the signal to its exit (-1: still running after 8 s, " +
    "killed). orch stops its stack in order (stop timeout 2 s) and exits 0 for a clean stop; QUIT " +
    "kills at once.\n",
);
const cases: [string, string, Deno.Signal][] = [
  ["TERM", STOPS, "SIGTERM"],
  ["INT", STOPS, "SIGINT"],
  ["HUP", STOPS, "SIGHUP"],
  ["QUIT", STOPS, "SIGQUIT"],
  ["TERM, child ignores it", IGNORES, "SIGTERM"],
];
console.log(row(["init", ...cases.map(([name]) => name)]));
console.log(row(["---", ...cases.map(() => "---")]));
for (const init of INITS) {
  const cells = [];
  for (const [, script, signal] of cases) {
    const ran = await asInit(init, script, signal);
    cells.push(ran.code === -1 ? "-1 (8 s)" : `${ran.code} (${Math.round(ran.ms)} ms)`);
  }
  console.log(row([init.name, ...cells]));
}
