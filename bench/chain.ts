/**
 * Scenario 5: readiness chain. 10 services, each depending on the previous one being ready, each
 * ready on a log line 100 ms after it starts. orch's overhead: the time from the first start to the
 * last ready, minus the 10 x 100 ms the services take. No peer here has readiness-gated
 * dependencies: they are n/a.
 *
 * Run: `deno run -A bench/chain.ts [--rounds 5]`
 */
import { median, ORCH, row, run, tempDir } from "./lib.ts";

const rounds = Number(Deno.args[Deno.args.indexOf("--rounds") + 1]) || 5;
const LINKS = 10;
const DELAY_MS = 100;

async function once(): Promise<number> {
  const dir = tempDir("chain");
  const yaml = `services:\n${
    Array.from({ length: LINKS }, (_, i) =>
      `  c${i}:\n    command: "sleep ${DELAY_MS / 1000}; echo ready; exec sleep 600"\n` +
      `    health: { log: { pattern: "^ready$" } }\n` +
      (i > 0 ? `    dependsOn: [{ target: c${i - 1}, require: ready }]\n` : "")).join("")
  }`;
  await Deno.writeTextFile(`${dir}/stack.yaml`, yaml);
  try {
    await run([...ORCH, "up", "-d", "--wait"], { cwd: dir });
    const status = JSON.parse(
      await run([...ORCH, "status", "--json"], { cwd: dir }),
    );
    const first = status.instances[0].startedAt;
    const last = status.instances[LINKS - 1].readyAt;
    return last - first - LINKS * DELAY_MS;
  } finally {
    await run([...ORCH, "down"], { cwd: dir }).catch(() => "");
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

const overheads: number[] = [];
for (let r = 0; r < rounds; r++) overheads.push(await once());
const m = median(overheads);
console.log(
  `### Scenario 5: a chain of ${LINKS} services, each ready ${DELAY_MS} ms after it starts\n`,
);
console.log(row(["tool", "overhead (last ready - first start - 10 x 100 ms)", "per link"]));
console.log(row(["---", "---", "---"]));
console.log(row(["orch", `${m.toFixed(0)} ms`, `${(m / LINKS).toFixed(1)} ms`]));
for (const peer of ["supervisord", "s6", "pm2", "concurrently"]) {
  console.log(row([peer, "n/a: no readiness-gated dependencies", "-"]));
}
console.log(`\n(median of ${rounds} rounds, from orch's own start and ready times)`);
