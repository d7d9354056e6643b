/**
 * Docker: the same health-gated 5-service container stack brought up by orch and by Debian's
 * docker-compose (1.29) against the same engine; time from launch until every service is healthy
 * (compose) or ready (orch), median of alternating rounds. Both check readiness with the same
 * in-container command every 200 ms.
 *
 * Run: `deno run -A bench/docker_compose.ts [--rounds 5]` (needs a Docker engine with
 * local/busybox:latest, see ../shared/docker/docker-setup.sh, and docker-compose).
 */
import { ORCH } from "./lib.ts";
const rounds = Number(Deno.args[Deno.args.indexOf("--rounds") + 1]) || 5;
const IMAGE = "local/busybox:latest";
const START = "sleep 0.5; touch /tmp/ready; exec sleep 600";
// db and cache first; api needs both; worker and web need api.
const GRAPH: Record<string, string[]> = {
  db: [],
  cache: [],
  api: ["db", "cache"],
  worker: ["api"],
  web: ["api"],
};

const compose = `version: "2.4"
services:
${
  Object.entries(GRAPH).map(([name, deps]) =>
    `  ${name}:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", "${START}"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 200ms
      timeout: 1s
      retries: 50
${
      deps.length
        ? `    depends_on:\n${
          deps.map((d) => `      ${d}:\n        condition: service_healthy`).join("\n")
        }\n`
        : ""
    }`
  ).join("")
}`;

const stack = `services:
${
  Object.entries(GRAPH).map(([name, deps]) =>
    `  ${name}:
    runtime: docker
    image: ${IMAGE}
    command: ["sh", "-c", "${START}"]
    health:
      cmd: { command: "test -f /tmp/ready", inContainer: true }
      interval: 200ms
${
      deps.length
        ? `    dependsOn: [${deps.map((d) => `{ target: ${d}, require: ready }`).join(", ")}]\n`
        : ""
    }`
  ).join("")
}`;

const client = Deno.createHttpClient({
  proxy: { transport: "unix", path: "/var/run/docker.sock" },
});

async function run(cmd: string[], cwd: string) {
  const out = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) throw new Error(`${cmd.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
}

async function until(test: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function composeRound(dir: string): Promise<number> {
  const started = performance.now();
  await run(["docker-compose", "-p", "orchbench", "up", "-d"], dir);
  await until(async () => {
    const list = await (await fetch(
      `http://localhost/v1.41/containers/json?filters=${
        encodeURIComponent(JSON.stringify({ label: ["com.docker.compose.project=orchbench"] }))
      }`,
      { client },
    )).json() as { Status: string }[];
    return list.length === 5 && list.every((c) => c.Status.includes("(healthy)"));
  });
  const took = performance.now() - started;
  await run(["docker-compose", "-p", "orchbench", "down", "-t", "1"], dir);
  return took;
}

async function orchRound(dir: string): Promise<number> {
  const started = performance.now();
  await run([...ORCH, "up", "-d"], dir);
  const { socket } = JSON.parse(await Deno.readTextFile(`${dir}/.orch/orch.json`));
  const api = Deno.createHttpClient({ proxy: { transport: "unix", path: socket } });
  await until(async () => {
    const status = await (await fetch("http://localhost/v1/status?usage=false", { client: api }))
      .json() as {
        instances: { state: string }[];
      };
    return status.instances.length === 5 && status.instances.every((i) => i.state === "ready");
  });
  const took = performance.now() - started;
  api.close();
  await run([...ORCH, "down", "--timeout", "5s"], dir);
  return took;
}

const dir = await Deno.makeTempDir({ prefix: "orch-compose-" });
await Deno.writeTextFile(`${dir}/docker-compose.yml`, compose);
await Deno.writeTextFile(`${dir}/stack.yaml`, stack);
const times: Record<string, number[]> = { "docker-compose 1.29": [], orch: [] };
for (let i = 0; i < rounds; i++) {
  times["docker-compose 1.29"].push(await composeRound(dir));
  times.orch.push(await orchRound(dir));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const best = median(times["docker-compose 1.29"]);
console.log(
  "### Docker: 5 health-gated containers, orch and docker-compose\n\n" +
    "| tool | time to all ready (median) | vs docker-compose |\n|---|---|---|",
);
for (const [name, xs] of Object.entries(times)) {
  console.log(
    `| ${name} | ${(median(xs) / 1000).toFixed(2)} s | ${(median(xs) / best).toFixed(2)}x |`,
  );
}
console.log(
  `\n(5 containers, 2 levels of health-gated dependencies, each ready 0.5 s after start; ${rounds} rounds)`,
);
client.close();
await Deno.remove(dir, { recursive: true });
