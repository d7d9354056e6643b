import { assert, assertEquals } from "../assert.ts";
import { loadStack } from "../../src/config/load.ts";
import { YamlParses } from "../../src/config/parses.ts";
import { ConfigError, formatIssue } from "../../src/domain/errors.ts";
import { tempDir } from "../../src/testing/recorder.ts";
import { assertRejects } from "../assert.ts";

const noEnv = () => undefined;

async function write(dir: string, text: string): Promise<string> {
  const path = `${dir}/stack.yaml`;
  await Deno.writeTextFile(path, text);
  return path;
}

Deno.test("YAML merge keys: <<: *base and <<: [*a, *b], own keys first, earlier sources win", async () => {
  await using dir = await tempDir();
  const file = await write(
    dir.path,
    `x-base: &base
  command: sleep 10
  env: { A: base, B: base }
  restartPolicy: on-failure
x-debug: &debug
  env: { B: debug }
  labels: { team: core }
  replicas: 3
services:
  api:
    <<: *base
    replicas: 2
  worker:
    <<: [*debug, *base]
    command: sleep 20
`,
  );
  const { stack } = await loadStack([file], { env: noEnv });
  const { api, worker } = stack.services;
  assertEquals(api.command, { shell: "sleep 10" });
  assertEquals({ ...api.env }, { A: "base", B: "base" });
  assertEquals(api.restart.mode, "on-failure");
  assertEquals(api.replicas, 2);
  assertEquals(worker.command, { shell: "sleep 20" }, "the service's own key wins");
  assertEquals({ ...worker.env }, { B: "debug" }, "the first source wins, tables are not merged");
  assertEquals({ ...worker.labels }, { team: "core" });
  assertEquals(worker.replicas, 3);
});

Deno.test("an error in a merged field points at the line of the base that wrote it", async () => {
  await using dir = await tempDir();
  const file = await write(
    dir.path,
    `x-base: &base
  command: sleep 10
  kind: servce
  restartPolicy: { policy: always, maxRetries: -2 }
services:
  api:
    <<: *base
    replicas: 2
    comand: typo
  web:
    <<: *base
    dependsOn: [apii]
`,
  );
  const error = await assertRejects(() => loadStack([file], { env: noEnv }), ConfigError);
  assertEquals(error.issues.map(formatIssue), [
    `${file}:3:9: services.api.kind: string "servce" is not one of: oneshot, service, daemon (did you mean "service"?)`,
    `${file}:4:48: services.api.restartPolicy.maxRetries: must be at least 0, got number -2`,
    `${file}:9:5: services.api.comand: unknown field (did you mean "command"?)`,
    `${file}:3:9: services.web.kind: string "servce" is not one of: oneshot, service, daemon (did you mean "service"?)`,
    `${file}:4:48: services.web.restartPolicy.maxRetries: must be at least 0, got number -2`,
    `${file}:12:17: services.web.dependsOn[0].target: unknown service "apii" (did you mean "api"?)`,
  ]);
});

Deno.test("a merge key needs tables: a scalar or a list alias is a located error", async () => {
  await using dir = await tempDir();
  for (
    const [text, expected] of [
      ["services:\n  a:\n    <<: 5\n    command: x\n", "3:9: merge key << takes a table"],
      [
        "x-l: &l [1, 2]\nservices:\n  a:\n    <<: [*l]\n    command: x\n",
        "4:10: merge key << takes a table, an alias of one, or a list of them, not *l (a list)",
      ],
    ] as const
  ) {
    const file = await write(dir.path, text);
    const error = await assertRejects(() => loadStack([file], { env: noEnv }), ConfigError);
    const message = error.issues.map(formatIssue).join("\n");
    assertEquals(message.startsWith(`${file}:${expected}`), true, message);
  }
});

Deno.test("a load's YAML parses: the same text of a file is parsed once, other text again", () => {
  const parses = new YamlParses();
  const first = parses.parse("/p/stack.yaml", "services:\n  a: { command: x }\n");
  assert(first.ok);
  assertEquals(first.source.data, { services: { a: { command: "x" } } });
  assert(parses.parse("/p/stack.yaml", "services:\n  a: { command: x }\n") === first, "kept");
  const changed = parses.parse("/p/stack.yaml", "services:\n  b: { command: y }\n");
  assert(changed !== first && changed.ok);
  assertEquals(changed.source.data, { services: { b: { command: "y" } } });
  const other = parses.parse("/p/other.yaml", "services:\n  b: { command: y }\n");
  assert(other !== changed, "another file is another parse (its issues name it)");
  const bad = parses.parse("/p/bad.yaml", "a: [1,\n");
  assert(!bad.ok);
  assertEquals(bad.issues[0].file, "/p/bad.yaml");
});
