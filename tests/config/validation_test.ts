import { assertEquals, assertRejects } from "../assert.ts";
import { loadStack } from "../../src/config/load.ts";
import { preflight, programOf } from "../../src/config/preflight.ts";
import { ConfigError, formatIssue } from "../../src/domain/errors.ts";
import { tempDir } from "../../src/testing/recorder.ts";

const noEnv = () => undefined;

async function errorsOf(file: string): Promise<string[]> {
  const error = await assertRejects(() => loadStack([file], { env: noEnv }), ConfigError);
  return error.issues.map(formatIssue);
}

Deno.test("preflight flags missing pre_script and pos_script files and a string command's program", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/services.toml`;
  await Deno.writeTextFile(
    file,
    `[[services]]
name = "migrate"
command = "/nonexistent/migrate --x"
pre_script = "/nonexistent/setup.sh"
pos_script = "./post.sh --now"

[[services]]
name = "fine"
command = "sleep 1"
pre_script = "cd /tmp && ./whatever"
`,
  );
  const { stack } = await loadStack([file], { env: noEnv });
  const found = (await preflight(stack)).map((f) => `${f.service}.${f.field}: ${f.message}`);
  assertEquals(found, [
    `migrate.command: "/nonexistent/migrate" does not exist or is not executable`,
    `migrate.preScript: "/nonexistent/setup.sh" does not exist or is not executable`,
    `migrate.postScript: "./post.sh" does not exist or is not executable`,
  ]);
});

Deno.test("the program of a string command is its first word only when the shell adds nothing", () => {
  assertEquals(programOf({ shell: "/app/migrate --x" }), "/app/migrate");
  assertEquals(programOf({ shell: "  ./web --port=3000" }), "./web");
  assertEquals(programOf({ exec: ["/bin/x", "y"] }), "/bin/x");
  for (
    const shell of [
      "cd /app && ./run",
      "exec /app/x",
      "FOO=1 /app/x",
      "/app/x > log",
      "/app/$NAME",
      "'/app/x y'",
      "echo hi",
      "if true; then x; fi",
    ]
  ) {
    assertEquals(programOf({ shell }), undefined, shell);
  }
});

Deno.test("an invalid log-probe regex is one error, with no bogus 'no services defined'", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/stack.yaml`;
  await Deno.writeTextFile(
    file,
    `services:\n  a:\n    command: x\n    health:\n      log: { pattern: "(" }\n  b:\n    command: y\n`,
  );
  assertEquals(await errorsOf(file), [
    `${file}:5:23: services.a.health.log.pattern: invalid regular expression "(": Unterminated group`,
  ]);
});

Deno.test("a typo elsewhere does not hide an unknown depends_on target; each error once", async () => {
  await using dir = await tempDir();
  const toml = `${dir.path}/orchestrate.toml`;
  await Deno.writeTextFile(
    toml,
    `[[task]]\nname = "a"\ncmd = "x"\ndepends_on = ["nope"]\n\n[[task]]\nname = "b"\ncmd = "x"\nredy_cmd = "x"\nkind = "servce"\n\n[[task]]\ncmd = "no name"\n\n[[task]]\nname = "c"\ndepends_on = ["b"]\n`,
  );
  assertEquals(await errorsOf(toml), [
    `${toml}:10:1: task[1].kind: string "servce" is not one of: oneshot, service, daemon (did you mean "service"?)`,
    `${toml}:9:1: task[1].redy_cmd: unknown field (did you mean "ready_cmd"?)`,
    `${toml}:12:1: task[2].name: is required`,
    `${toml}:4:1: task[0].depends_on[0]: unknown service "nope"`,
    `${toml}:15:1: task[3].cmd: is required for a process service`,
  ]);
  // In YAML, a bad service "a" must not hide the errors of "api" (names that start alike).
  const yaml = `${dir.path}/stack.yaml`;
  await Deno.writeTextFile(
    yaml,
    `services:\n  a: 5\n  api:\n    command: x\n    dependsOn: [nope, a]\n  ab:\n    command: x\n    replicas: -1\n    dependsOn: [api]\n`,
  );
  assertEquals(await errorsOf(yaml), [
    `${yaml}:2:6: services.a: expected a table of fields, got number 5`,
    `${yaml}:8:15: services.ab.replicas: must be at least 0, got number -1`,
    `${yaml}:5:17: services.api.dependsOn[0].target: unknown service "nope"`,
  ]);
});
