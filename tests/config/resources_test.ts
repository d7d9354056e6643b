import { assertEquals, assertRejects } from "../assert.ts";
import { loadStack } from "../../src/config/load.ts";
import { ConfigError, formatIssue } from "../../src/domain/errors.ts";
import { tempDir } from "../../src/testing/recorder.ts";

async function load(yaml: string) {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/stack.yaml`, yaml);
  return await loadStack([`${dir.path}/stack.yaml`], { env: () => undefined });
}

Deno.test("resources: sizes in binary units, CPUs and processes map onto the model", async () => {
  const { stack } = await load(`services:
  a: { command: x, resources: { memory: 256m, cpus: 0.5, pids: 100 } }
  b: { command: x, resources: { memory: "1.5g" } }
  c: { command: x, resources: { memory: 8388608 } }
  d: { command: x, resources: { memory: 512MiB } }
  e: { command: x }
  f: { command: x, resources: {} }
`);
  assertEquals(stack.services.a.resources, {
    memoryBytes: 256 * 1024 * 1024,
    cpus: 0.5,
    pids: 100,
  });
  assertEquals(stack.services.b.resources, { memoryBytes: 1.5 * 1024 ** 3 });
  assertEquals(stack.services.c.resources, { memoryBytes: 8388608 });
  assertEquals(stack.services.d.resources, { memoryBytes: 512 * 1024 * 1024 });
  assertEquals(stack.services.e.resources, undefined);
  assertEquals(stack.services.f.resources, undefined);
});

Deno.test("resources: bad values are located errors, all at once", async () => {
  const error = await assertRejects(
    () =>
      load(`services:
  a: { command: x, resources: { memory: lots, cpus: 0, pids: 0 } }
  b: { command: x, resources: { memory: 10k, swap: 1g } }
`),
    ConfigError,
  );
  const issues = error.issues.map(formatIssue).map((l) => l.replace(/^.*stack\.yaml:/, ""));
  assertEquals(issues.length, 5, issues.join("\n"));
  const text = issues.join("\n");
  for (
    const part of [
      'services.a.resources.memory: expected a memory size like "256m" or "1g", got string "lots"',
      "services.a.resources.cpus",
      "services.a.resources.pids",
      'services.b.resources.memory: a memory limit must be at least 1m, got string "10k"',
      "services.b.resources",
    ]
  ) {
    if (!text.includes(part)) throw new Error(`missing "${part}" in:\n${text}`);
  }
});
