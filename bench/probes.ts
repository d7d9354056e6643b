/**
 * Scenario 7: probe cost. 100 services with an HTTP probe every second (against one small server on
 * 127.0.0.1, so that only orch's side is measured); orch's CPU over idle seconds once all are
 * ready, beside the same 100 services without probes. No peer here has HTTP probes: n/a.
 *
 * Run: `deno run -A bench/probes.ts [--seconds 10]`
 */
import { cpuSeconds, ORCH, row, run, tempDir, tree, until } from "./lib.ts";

const seconds = Number(Deno.args[Deno.args.indexOf("--seconds") + 1]) || 10;
const N = 100;
const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  () => new Response("ok"),
);
const port = server.addr.port;

async function measure(probes: boolean): Promise<number> {
  const dir = tempDir("probes");
  const health = probes
    ? `    health: { http: { url: "http://127.0.0.1:${port}/" }, interval: 1s }\n`
    : "";
  const yaml = `services:\n${
    Array.from({ length: N }, (_, i) => `  p${i}:\n    command: "exec sleep 600"\n${health}`).join(
      "",
    )
  }`;
  await Deno.writeTextFile(`${dir}/stack.yaml`, yaml);
  try {
    await run([...ORCH, "up", "-d", "--wait"], { cwd: dir });
    const { pid } = JSON.parse(await Deno.readTextFile(`${dir}/.orch/orch.json`));
    await new Promise((r) => setTimeout(r, 2000));
    // orch itself and its group guard, not the services.
    const mine = tree(pid).filter((p) => !p.cmdline.includes("sleep 600")).map((p) => p.pid);
    const before = cpuSeconds(mine);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    return ((cpuSeconds(mine) - before) / seconds) * 100;
  } finally {
    await run([...ORCH, "down"], { cwd: dir }).catch(() => "");
    await until("cleanup", () => true);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

const without = await measure(false);
const withProbes = await measure(true);
await server.shutdown();
console.log(`### Scenario 7: 100 services, HTTP probes every second\n`);
console.log(row(["tool", "CPU without probes", "CPU with 100 probes/s", "per probe"]));
console.log(row(["---", "---", "---", "---"]));
console.log(row([
  "orch",
  `${without.toFixed(2)} %`,
  `${withProbes.toFixed(2)} %`,
  `${((withProbes - without) / 100 * 10).toFixed(3)} ms of CPU`,
]));
for (const peer of ["supervisord", "s6", "pm2", "concurrently"]) {
  console.log(row([peer, "-", "n/a: no HTTP probes", "-"]));
}
console.log(`\n(CPU of one core, over ${seconds} s once settled)`);
