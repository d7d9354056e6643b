/**
 * Scenario 6: CLI cold start. Times `orch --version`, `orch validate` (of an unchanged config,
 * from the cache in .orch/cache; of one edited before each run, which is loaded and then cached;
 * of one with the cache off) and `orch status` against a running stack, beside the limit (`deno
 * run` of an empty script), as medians of several alternating rounds.
 *
 * Run: `deno task bench` (or `deno run -A bench/cold_start.ts --rounds 15`).
 */
import { MAIN, ORCH } from "./lib.ts";

const rounds = Number(Deno.args[Deno.args.indexOf("--rounds") + 1]) || 11;
const empty = await Deno.makeTempFile({ suffix: ".ts" });
await Deno.writeTextFile(empty, "");
const example = `${new URL("../", import.meta.url).pathname}examples/seeds/orco-stack.yaml`;

// A copy of the example that is edited (a comment added) before each of its runs.
const edited = await Deno.makeTempDir({ prefix: "orch-bench-" });
const editedFile = `${edited}/stack.yaml`;
await Deno.copyFile(example, editedFile);
let edits = 0;

// A running stack for `orch status` to ask.
const project = await Deno.makeTempDir({ prefix: "orch-bench-" });
await Deno.writeTextFile(
  `${project}/stack.yaml`,
  `services:\n  a: { command: "exec sleep 600" }\n  b: { command: "exec sleep 600", dependsOn: [a] }\n`,
);
const started = await new Deno.Command(ORCH[0], {
  args: [...ORCH.slice(1), "up", "-d", "--wait"],
  cwd: project,
  stdout: "null",
}).output();
if (!started.success) throw new Error("could not start the stack for orch status");

const cases: Record<string, readonly string[]> = {
  "deno run (empty script, the limit)": [Deno.execPath(), "run", empty],
  "orch --version": [...ORCH, "--version"],
  "orch validate (stack.yaml example, unchanged)": [...ORCH, "validate", "-q", "-f", example],
  "orch validate, config edited (loaded, then cached)": [
    ...ORCH,
    "validate",
    "-q",
    "-f",
    editedFile,
  ],
  "orch validate, config changed (cache off)": [...ORCH, "validate", "-q", "-f", example],
  // The same without orch's flags: what `deno run -A main.ts` of a checkout pays.
  "orch validate, config changed (cache off), bare deno run -A main.ts": [
    Deno.execPath(),
    "run",
    "-A",
    MAIN,
    "validate",
    "-q",
    "-f",
    example,
  ],
  "orch status (running 2-service stack)": [
    ...ORCH,
    "status",
    "-f",
    `${project}/stack.yaml`,
  ],
};

async function time(command: readonly string[], name = ""): Promise<number> {
  if (name.includes("edited")) {
    await Deno.writeTextFile(editedFile, `# edit ${++edits}\n`, { append: true });
  }
  const started = performance.now();
  const env: Record<string, string> = name.includes("cache off")
    ? { ORCH_CONFIG_CACHE: "off" }
    : {};
  const out = await new Deno.Command(command[0], {
    args: command.slice(1),
    env,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return performance.now() - started;
}

const samples: Record<string, number[]> = Object.fromEntries(
  Object.keys(cases).map((k) => [k, []]),
);
// Warm the module cache (and the config cache of the unchanged case).
for (const [name, args] of Object.entries(cases)) await time(args, name);
for (let i = 0; i < rounds; i++) {
  for (const [name, args] of Object.entries(cases)) samples[name].push(await time(args, name));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const limit = median(samples["deno run (empty script, the limit)"]);
console.log(`### Scenario 6: CLI cold start\n\n| command | median ms | vs limit |\n|---|---|---|`);
for (const [name, xs] of Object.entries(samples)) {
  console.log(`| ${name} | ${median(xs).toFixed(0)} | ${(median(xs) / limit).toFixed(2)}x |`);
}
await Deno.remove(empty);
await new Deno.Command(ORCH[0], {
  args: [...ORCH.slice(1), "down", "-f", `${project}/stack.yaml`],
  stdout: "null",
}).output();
await Deno.remove(project, { recursive: true });
await Deno.remove(edited, { recursive: true });
