import { assert, assertEquals, assertMatch } from "../assert.ts";
import { loadStack } from "../../src/config/load.ts";
import { ConfigError } from "../../src/domain/errors.ts";
import { seeded } from "../../src/testing/random.ts";

const root = new URL("../../", import.meta.url).pathname;
const SEEDS = [
  "examples/seeds/orco-stack.yaml",
  "examples/seeds/services.toml",
  "examples/seeds/orchestrate.toml",
  "examples/demo/stack.yaml",
];

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
  "<<: *a",
  "__proto__",
  "constructor",
  "${ORCH_REPLICA + 1}",
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
  const random = seeded(20261121).next;
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

/** Loads one in-memory file (and an optional `.env` beside it); returns the model or the error. */
async function loadText(name: string, text: string, dotenv?: string) {
  const t0 = performance.now();
  try {
    const { stack } = await loadStack([`/fuzz/${name}`], {
      env: () => undefined,
      readTextFile: (path) =>
        path === `/fuzz/${name}`
          ? Promise.resolve(text)
          : path === "/fuzz/.env" && dotenv !== undefined
          ? Promise.resolve(dotenv)
          : Promise.reject(new Deno.errors.NotFound()),
    });
    return { stack, ms: performance.now() - t0 };
  } catch (error) {
    if (error instanceof ConfigError) return { error, ms: performance.now() - t0 };
    throw new Error(`${name} threw ${(error as Error).stack?.slice(0, 2000)}`);
  }
}

/** The input must give a ConfigError whose issues all have a line, one of them matching `pattern`. */
async function assertLocatedError(name: string, text: string, pattern: RegExp, dotenv?: string) {
  const result = await loadText(name, text, dotenv);
  assert(result.error, `${name}: expected a config error, got a model`);
  const message = result.error.message;
  assert(message.length < 4000, `the error is short (${message.length} characters)`);
  assert(pattern.test(message), `${pattern} in:\n${message}`);
  for (const issue of result.error.issues) {
    assert(issue.line !== undefined && issue.line >= 1, `located: ${JSON.stringify(issue)}`);
  }
}

const LAUGHS = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
  .concat(
    "bcdefghi".split("").map((c, i) => {
      const prev = "abcdefghi"[i];
      return `${c}: &${c} [${Array(9).fill(`*${prev}`).join(", ")}]`;
    }),
  )
  .join("\n");

Deno.test("100 aliases in an ordinary file load; each alias is its anchor's value", async () => {
  const text = `x-cmd: &cmd ["sleep", "1"]\nservices:\n` +
    Array.from({ length: 100 }, (_, i) => `  s${i}:\n    command: *cmd\n`).join("");
  const { stack } = await loadText("a.yaml", text);
  assert(stack, "loads");
  assertEquals(Object.keys(stack.services).length, 100);
  assertEquals(stack.services.s99.command, { exec: ["sleep", "1"] });
});

Deno.test("alias bombs, unresolved and self-containing aliases are located config errors", async () => {
  await assertLocatedError(
    "a.yaml",
    `${LAUGHS}\nservices:\n  x:\n    command: *i\n`,
    /a\.yaml:\d+:\d+: aliases expand this file to more than 1000000 values/,
  );
  await assertLocatedError(
    "a.yaml",
    "services:\n  a:\n    command: *nope\n",
    /a\.yaml:3:14: unresolved alias \*nope/,
  );
  await assertLocatedError(
    "a.yaml",
    "x-loop: &loop { next: *loop }\nservices:\n  a:\n    command: x\n",
    /a\.yaml:1:23: alias \*loop is inside what it names/,
  );
  await assertLocatedError(
    "a.yaml",
    "services:\n  a:\n    command: x\n    command: y\n",
    /a\.yaml:4:5: key "command" is given twice/,
  );
  // Values that are not plain data: type tags, and keys that are lists (the library would print a
  // warning of its own and make a string of them).
  await assertLocatedError(
    "a.yaml",
    "services: !!set { a, b }\n",
    /a\.yaml:1:17: YAML tag !!set is not supported/,
  );
  await assertLocatedError(
    "a.yaml",
    "services:\n  a: { command: !!binary aGVsbG8= }\n",
    /a\.yaml:2:26: YAML tag !!binary is not supported/,
  );
  await assertLocatedError(
    "a.yaml",
    "services:\n  ? [a, b]\n  : { command: x }\n",
    /a\.yaml:2:5: a key must be a plain value, not a list or table/,
  );
  await assertLocatedError(
    "a.yaml",
    "x-k: &k [1]\nservices:\n  *k : { command: x }\n",
    /a\.yaml:3:3: a key must be a plain value, not a list or table/,
  );
  await assertLocatedError("a.yaml", "", /a\.yaml:1:1: services: no services defined/);
});

Deno.test("deep parentheses and huge || chains in an expression are located errors", async () => {
  const service = (expression: string) =>
    `services:\n  a:\n    command: x\n    health:\n      tcp: { address: "127.0.0.1:1" }\n` +
    `      expression: "${expression}"\n`;
  await assertLocatedError(
    "a.yaml",
    service(`${"(".repeat(10_000)}tcp${")".repeat(10_000)}`),
    /a\.yaml:6:19: services\.a\.health\.expression: parentheses nest more than 16 deep at column 17/,
  );
  await assertLocatedError(
    "a.yaml",
    service(Array(100_000).fill("tcp").join(" || ")),
    /services\.a\.health\.expression: more than 64 probe names/,
  );
});

Deno.test("a 10,001-service dependsOn chain is a legal stack and loads", async () => {
  const n = 10_001;
  const text = "services:\n" +
    Array.from(
      { length: n },
      (_, i) => `  s${i}:\n    command: x\n` + (i > 0 ? `    dependsOn: [s${i - 1}]\n` : ""),
    ).join("");
  const { stack } = await loadText("a.yaml", text);
  assert(stack, "loads");
  assertEquals(stack.services[`s${n - 1}`].dependsOn[0].target, `s${n - 2}`);
  // The same chain closed into a cycle is one error, named by its ends.
  const cycle = await loadText(
    "a.yaml",
    text.replace("  s0:\n    command: x\n", "  s0:\n    command: x\n    dependsOn: [s10000]\n"),
  );
  assert(cycle.error, "a cycle is an error");
  assertEquals(cycle.error.issues.length, 1);
  assertMatch(cycle.error.issues[0].message, /^dependency cycle: s0 -> s10000 -> .*more/);
});

Deno.test("TOML and YAML nested 10,000 deep are located errors, not stack overflows", async () => {
  await assertLocatedError(
    "a.toml",
    `[${Array(10_000).fill("a").join(".")}]\nx = 1\n`,
    /a\.toml:1:1: .*nest more than 64 levels deep/,
  );
  await assertLocatedError(
    "a.toml",
    `a = ${"[".repeat(10_000)}${"]".repeat(10_000)}\n`,
    /TOML syntax/,
  );
  await assertLocatedError(
    "a.toml",
    `a = ${"{ b = ".repeat(10_000)}1${" }".repeat(10_000)}\n`,
    /TOML syntax/,
  );
  await assertLocatedError("a.yaml", `a: ${"[".repeat(10_000)}${"]".repeat(10_000)}\n`, /YAML/);
  await assertLocatedError("a.yaml", `${"- ".repeat(10_000)}x\n`, /YAML|nest/);
  await assertLocatedError(
    "a.yaml",
    `a: ${"[".repeat(100)}${"]".repeat(100)}\n`,
    /nest more than 64/,
  );
});

Deno.test("errors quote a short excerpt: a 20 MB .env of NULs gives a short message", async () => {
  const nuls = "\u0000".repeat(20 * 1024 * 1024);
  await assertLocatedError(
    "a.yaml",
    "services:\n  a:\n    command: x\n",
    /\.env:1:1: expected KEY=value, found "(\\u0000)+"…/,
    nuls,
  );
  const many = "\u0000\n".repeat(100_000);
  await assertLocatedError(
    "a.yaml",
    "services:\n  a:\n    command: x\n",
    /and 99990 more lines/,
    many,
  );
  const long = "x".repeat(1_000_000);
  for (
    const text of [
      `services:\n  a:\n    command: x\n    kind: "${long}"\n`,
      `services:\n  a:\n    command: x\n    dependsOn: ["${long}"]\n`,
      `services:\n  a: { command: x, "${long}": 1 }\n`,
      `services: { "${long}": { command: x } }\n`,
      `services:\n  a:\n    command: "\${${long}"\n`,
      `services:\n  a:\n    command: x\n    health:\n      http: { url: "${long}" }\n`,
      `services:\n  a:\n    command: x\n    health:\n      log: { pattern: "(${long}" }\n`,
      `services:\n  a:\n    command: x\n    ports: ["${long}"]\n`,
      `services:\n  a:\n    command: x\n    health:\n      tcp: { address: "127.0.0.1:1" }\n      expression: "${long}"\n`,
    ]
  ) {
    await assertLocatedError("a.yaml", text, /./);
  }
});

Deno.test("10,001 services with two bad fields each: every error, each once", async () => {
  const n = 10_001;
  const text = "services:\n" +
    Array.from(
      { length: n },
      (_, i) => `  s${i}:\n    command: x\n    comand: x\n    replicas: -1\n`,
    )
      .join("");
  const result = await loadText("a.yaml", text);
  assert(result.error, "an error");
  assertEquals(result.error.issues.length, 2 * n);
  assertEquals(new Set(result.error.issues.map((i) => `${i.line}:${i.path}`)).size, 2 * n);
  assertMatch(result.error.message, /… and 19802 more$/);
});
