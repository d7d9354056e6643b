/**
 * Scenario 6 (part): CLI cold start. Times `orch --version` and `orch validate` against the limit,
 * `deno run` of an empty script, as medians of several alternating rounds.
 *
 * Run: `deno task bench` (or `deno run -A bench/cold_start.ts --rounds 15`).
 */
const root = new URL("../", import.meta.url).pathname;
const rounds = Number(Deno.args[Deno.args.indexOf("--rounds") + 1]) || 11;
const empty = await Deno.makeTempFile({ suffix: ".ts" });
await Deno.writeTextFile(empty, "");

const cases: Record<string, string[]> = {
  "deno run (empty script, the limit)": ["run", empty],
  "orch --version": ["run", "-A", `${root}main.ts`, "--version"],
  "orch validate (stack.yaml example)": [
    "run",
    "-A",
    `${root}main.ts`,
    "validate",
    "-q",
    "-f",
    `${root}examples/seeds/orco-stack.yaml`,
  ],
};

async function time(args: string[]): Promise<number> {
  const started = performance.now();
  const out = await new Deno.Command(Deno.execPath(), { args, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return performance.now() - started;
}

const samples: Record<string, number[]> = Object.fromEntries(
  Object.keys(cases).map((k) => [k, []]),
);
for (const args of Object.values(cases)) await time(args); // warm the module cache
for (let i = 0; i < rounds; i++) {
  for (const [name, args] of Object.entries(cases)) samples[name].push(await time(args));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const limit = median(samples["deno run (empty script, the limit)"]);
console.log(`| command | median ms | vs limit |\n|---|---|---|`);
for (const [name, xs] of Object.entries(samples)) {
  console.log(`| ${name} | ${median(xs).toFixed(0)} | ${(median(xs) / limit).toFixed(2)}x |`);
}
await Deno.remove(empty);
