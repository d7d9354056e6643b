import { assert } from "../assert.ts";
import { loadStack } from "../../src/config/load.ts";
import { ConfigError } from "../../src/domain/errors.ts";

const root = new URL("../../", import.meta.url).pathname;
const SEEDS = [
  "examples/seeds/orco-stack.yaml",
  "examples/seeds/services.toml",
  "examples/seeds/orchestrate.toml",
  "examples/demo/stack.yaml",
];

/** A small deterministic generator, so that a failure can be replayed from its seed. */
function rng(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

const JUNK = [
  "",
  " ",
  ":",
  "-",
  "[",
  "]",
  "{",
  "}",
  '"',
  "'",
  "#",
  "=",
  "\n",
  "\t",
  "0",
  "-1",
  "1e999",
  "null",
  "true",
  "~",
  "${",
  "${X:?}",
  "$$",
  "&a",
  "*a",
  "!!str",
  "[[task]]",
  "[[services]]",
  "\u0000",
  "é",
  "dependsOn",
  "require: ready",
  "0.1",
  "999999999999",
  "NaN",
];

function mutate(text: string, random: () => number): string {
  const chars = [...text];
  const edits = 1 + Math.floor(random() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(random() * (chars.length + 1));
    const op = random();
    if (op < 0.35) chars.splice(at, 1 + Math.floor(random() * 8));
    else if (op < 0.7) chars.splice(at, 0, JUNK[Math.floor(random() * JUNK.length)]);
    else {
      const from = Math.floor(random() * chars.length);
      chars.splice(at, 0, ...chars.slice(from, from + Math.floor(random() * 40)));
    }
  }
  return chars.join("");
}

Deno.test("thousands of mutated configs only ever give a model or config errors", async () => {
  const sources = await Promise.all(SEEDS.map((f) => Deno.readTextFile(`${root}${f}`)));
  const random = rng(20261121);
  let valid = 0;
  let invalid = 0;
  const rounds = 3000;
  for (let i = 0; i < rounds; i++) {
    const pick = i % SEEDS.length;
    const name = SEEDS[pick].endsWith(".toml") ? "fuzz.toml" : "fuzz.yaml";
    const text = mutate(sources[pick], random);
    try {
      await loadStack([`/fuzz/${name}`], {
        env: () => undefined,
        readTextFile: (path) =>
          path.endsWith(name) ? Promise.resolve(text) : Promise.reject(new Deno.errors.NotFound()),
      });
      valid++;
    } catch (error) {
      if (!(error instanceof ConfigError)) {
        throw new Error(
          `round ${i} (${name}) threw ${(error as Error).stack}\n--- input ---\n${text}`,
        );
      }
      assert(error.issues.length > 0, `round ${i}: a ConfigError with no issues`);
      invalid++;
    }
  }
  assert(valid > 0 && invalid > 0, `both outcomes occur (valid ${valid}, invalid ${invalid})`);
});
