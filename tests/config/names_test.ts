import { assert, assertEquals, assertRejects } from "../assert.ts";
import { loadStack } from "../../src/config/load.ts";
import { ConfigError, formatIssue } from "../../src/domain/errors.ts";
import type { Stack } from "../../src/domain/model.ts";
import { tempDir } from "../../src/testing/recorder.ts";

const NAMES = ["constructor", "__proto__", "toString", "hasOwnProperty"] as const;
const noEnv = () => undefined;

async function load(name: string, text: string, dotenv?: string): Promise<Stack> {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/${name}`, text);
  if (dotenv !== undefined) await Deno.writeTextFile(`${dir.path}/.env`, dotenv);
  return (await loadStack([`${dir.path}/${name}`], { env: noEnv })).stack;
}

/** Every table keyed by a user's name has no prototype and holds exactly the names given. */
function assertTable(table: object, keys: readonly string[], what: string) {
  assertEquals(Object.getPrototypeOf(table), null, `${what} has no prototype`);
  assertEquals(Object.keys(table).sort(), [...keys].sort(), what);
}

function assertNamedStack(stack: Stack) {
  assertTable(stack.services, NAMES, "services");
  NAMES.forEach((name, i) => {
    const svc = stack.services[name];
    assert(Object.hasOwn(stack.services, name), `service ${name} is there`);
    assertEquals(svc.name, name);
    assertTable(svc.env, NAMES, `${name}.env`);
    assertEquals(svc.env[name], `v-${name}`);
    if (i > 0) assertEquals(svc.dependsOn.map((d) => d.target), [NAMES[i - 1]]);
  });
}

Deno.test("constructor, __proto__, toString and hasOwnProperty work as names in YAML", async () => {
  const env = NAMES.map((n) => `      ${n}: v-${n}`).join("\n");
  const text = "services:\n" + NAMES.map((name, i) =>
    `  ${name}:
    command: sleep 1
    env:
${env}
    labels: { ${NAMES.map((n) => `${n}: l`).join(", ")} }
` + (i > 0 ? `    dependsOn: { ${NAMES[i - 1]}: { require: ready } }\n` : "")
  ).join("") +
    `  probed:
    command: sleep 1
    env: { A: "\${constructor:-unset} \${__proto__:-unset} \${toString-unset}" }
    health:
      http:
        url: http://127.0.0.1:1/
        headers: { ${NAMES.map((n) => `${n}: h`).join(", ")} }
`;
  const stack = await load("stack.yaml", text, "hasOwnProperty=from-dotenv\n");
  const { probed, ...named } = stack.services;
  assertNamedStack({ ...stack, services: Object.assign(Object.create(null), named) });
  assertTable(stack.services[NAMES[2] as string].labels, NAMES, "labels");
  assertTable(probed.health!.http!.headers, NAMES, "headers");
  assertEquals(probed.env.A, "unset unset unset", "no name reads Object.prototype");
});

Deno.test("the same names work in orchestrate.toml and the [[services]] format", async () => {
  const env = `env = { ${NAMES.map((n) => `"${n}" = "v-${n}"`).join(", ")} }`;
  const orchestrate = NAMES.map((name, i) =>
    `[[task]]\nname = "${name}"\nkind = "daemon"\ncmd = "sleep 1"\n${env}\n` +
    (i > 0 ? `depends_on = ["${NAMES[i - 1]}"]\n` : "")
  ).join("\n");
  assertNamedStack(await load("orchestrate.toml", orchestrate));
  const services = NAMES.map((name, i) =>
    `[[services]]\nname = "${name}"\ncommand = "sleep 1"\n${env}\n` +
    (i > 0 ? `depends_on = "${NAMES[i - 1]}"\n` : "")
  ).join("\n");
  assertNamedStack(await load("services.toml", services));
  const stackToml = NAMES.map((name, i) =>
    `[services.${name}]\ncommand = "sleep 1"\n${env}\n` +
    (i > 0 ? `dependsOn = ["${NAMES[i - 1]}"]\n` : "")
  ).join("\n");
  assertNamedStack(await load("orch.toml", stackToml));
});

Deno.test("a field named like an Object.prototype member is an unknown field, not a crash", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/stack.yaml`;
  await Deno.writeTextFile(
    file,
    "services:\n  a:\n    command: x\n    constructor: 1\n    restartPolicy: constructor\n",
  );
  const error = await assertRejects(() => loadStack([file], { env: noEnv }), ConfigError);
  assertEquals(error.issues.map(formatIssue), [
    `${file}:5:20: services.a.restartPolicy.policy: string "constructor" is not one of: always, on-failure, never`,
    `${file}:4:5: services.a.constructor: unknown field`,
  ]);
});
