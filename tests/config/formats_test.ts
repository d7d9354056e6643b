import { assertEquals, assertRejects } from "../assert.ts";
import { loadStack } from "../../src/config/load.ts";
import { nameFromDirectory } from "../../src/config/normalize.ts";
import { ConfigError, formatIssue } from "../../src/domain/errors.ts";
import { tempDir } from "../../src/testing/recorder.ts";

const noEnv = () => undefined;

Deno.test("a stack without a name is named after its directory, made valid", async () => {
  await using dir = await tempDir();
  const project = `${dir.path}/my.app`;
  await Deno.mkdir(project);
  await Deno.writeTextFile(`${project}/stack.yaml`, "services:\n  a:\n    command: x\n");
  const { stack } = await loadStack([`${project}/stack.yaml`], { env: noEnv });
  assertEquals(stack.name, "my-app");
  assertEquals(nameFromDirectory("/srv/..weird  name!!/"), "weird-name");
  assertEquals(nameFromDirectory("/srv/日本"), "stack");
  assertEquals(nameFromDirectory("/"), "stack");
  assertEquals(nameFromDirectory(`/x/${"a".repeat(100)}`).length, 64);
  // A name given explicitly is still checked.
  await Deno.writeTextFile(
    `${project}/stack.yaml`,
    "stack: { name: my.app }\nservices:\n  a:\n    command: x\n",
  );
  const error = await assertRejects(
    () => loadStack([`${project}/stack.yaml`], { env: noEnv }),
    ConfigError,
  );
  assertEquals(error.issues.map(formatIssue), [
    `${project}/stack.yaml:1:16: stack.name: "my.app" is not a valid name (use up to 64 letters, digits, "-" and "_")`,
  ]);
});

Deno.test("both TOML formats name the stack in [stack]; orchestrate.toml sets its shutdown bound", async () => {
  await using dir = await tempDir();
  const orchestrate = `${dir.path}/orchestrate.toml`;
  await Deno.writeTextFile(
    orchestrate,
    `[stack]\nname = "shop"\nshutdown_timeout = "90s"\n\n[[task]]\nname = "a"\ncmd = "true"\n`,
  );
  const a = (await loadStack([orchestrate], { env: noEnv })).stack;
  assertEquals([a.name, a.shutdownTimeoutMs], ["shop", 90_000]);
  const services = `${dir.path}/services.toml`;
  await Deno.writeTextFile(
    services,
    `[stack]\nname = "box"\n[timeouts]\nglobal_shutdown_timeout = 5\n\n[[services]]\nname = "a"\ncommand = "sleep 1"\n`,
  );
  const b = (await loadStack([services], { env: noEnv })).stack;
  assertEquals([b.name, b.shutdownTimeoutMs], ["box", 5000]);
  await Deno.writeTextFile(
    services,
    `[stack]\nname = "b.x"\n\n[[services]]\nname = "a"\ncommand = "x"\n`,
  );
  const error = await assertRejects(() => loadStack([services], { env: noEnv }), ConfigError);
  assertEquals(error.issues.map(formatIssue), [
    `${services}:2:1: stack.name: "b.x" is not a valid name (use up to 64 letters, digits, "-" and "_")`,
  ]);
});

Deno.test("both TOML formats accept the same orch additions: kind, env, workdir, user, tty, restart, ready_cmd", async () => {
  await using dir = await tempDir();
  const additions = `kind = "service"\nenv = { A = "1" }\nworkdir = "sub"\nuser = "nobody"\n` +
    `tty = true\nrestart = "on-failure"\nready_cmd = "test -f /tmp/ready"\n`;
  for (
    const text of [
      `[[task]]\nname = "a"\ncmd = "sleep 1"\n${additions}`,
      `[[services]]\nname = "a"\ncommand = "sleep 1"\n${additions}`,
    ]
  ) {
    const file = `${dir.path}/${text.startsWith("[[task]]") ? "orchestrate" : "services"}.toml`;
    await Deno.writeTextFile(file, text);
    const { a } = (await loadStack([file], { env: noEnv })).stack.services;
    assertEquals(
      [a.kind, a.env.A, a.workdir, a.user, a.tty, a.restart.mode],
      ["service", "1", `${dir.path}/sub`, "nobody", true, "on-failure"],
      file,
    );
    assertEquals(a.health?.cmd?.command, { shell: "test -f /tmp/ready" });
  }
  // In [[services]], a readiness command makes the default kind a service (a daemon is ready at once).
  const file = `${dir.path}/services.toml`;
  await Deno.writeTextFile(file, `[[services]]\nname = "a"\ncommand = "x"\nready_cmd = "true"\n`);
  assertEquals((await loadStack([file], { env: noEnv })).stack.services.a.kind, "service");
  await Deno.writeTextFile(file, `[[services]]\nname = "a"\ncommand = "x"\ntty = "yes"\n`);
  const error = await assertRejects(() => loadStack([file], { env: noEnv }), ConfigError);
  assertEquals(error.issues.map(formatIssue), [
    `${file}:4:1: services[0].tty: expected true or false, got string "yes"`,
  ]);
});
