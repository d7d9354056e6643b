/** The fast parser of client commands, as a parser: what it takes, and what it leaves to commander. */
import { assert, assertEquals } from "../assert.ts";
import { parseFast } from "../../src/cli/fast.ts";

function parsed(...argv: string[]) {
  const line = parseFast(argv);
  assert(line, `${argv.join(" ")} is understood`);
  return { command: line.command.name, args: line.args, opts: line.opts, globals: line.globals };
}

Deno.test("commands, aliases, options and global options", () => {
  assertEquals(parsed("status", "--json", "-w"), {
    command: "status",
    args: [],
    opts: { json: true, wide: true },
    globals: { file: [], profile: [] },
  });
  assertEquals(parsed("ps").command, "status");
  assertEquals(parsed("-f", "a.yaml", "--host=h:1", "list", "--token", "t").globals, {
    file: ["a.yaml"],
    profile: [],
    host: "h:1",
    token: "t",
  });
  assertEquals(parsed("apply", "--dry-run").opts, { dryRun: true });
  assertEquals(parsed("down", "--timeout", "5s", "--swarm").opts, { timeout: "5s", swarm: true });
  assertEquals(parsed("--profile", "a", "--profile", "b", "status").globals.profile, ["a", "b"]);
});

Deno.test("-f: the stack file before the command, following in logs after it", () => {
  const logs = parsed("-f", "s.yaml", "logs", "-f", "-n", "5", "api", "web");
  assertEquals(logs.globals.file, ["s.yaml"]);
  assertEquals(logs.opts, { follow: true, tail: "5" });
  assertEquals(logs.args, ["api", "web"]);
  assertEquals(parsed("restart", "-f", "s.yaml", "api").globals.file, ["s.yaml"]);
});

Deno.test("arguments: what each command needs, and -- ends the options", () => {
  assertEquals(parsed("send", "echo", "hello", "there").args, ["echo", "hello", "there"]);
  assertEquals(parsed("send", "echo", "--", "-n").args, ["echo", "-n"]);
  assertEquals(parsed("restart").args, []);
  assertEquals(parsed("scale", "api=3", "web=1").args, ["api=3", "web=1"]);
});

Deno.test("anything unusual goes to the full parser", () => {
  for (
    const argv of [
      [],
      ["up"],
      ["validate"],
      ["status", "extra"],
      ["status", "--help"],
      ["status", "--json=yes"],
      ["status", "-x"],
      ["status", "-wj"],
      ["logs", "--tail"],
      ["start"],
      ["send", "echo"],
      ["scale"],
      ["--sample-toml", "status"],
      ["constructor"],
      ["__proto__"],
      ["x", "status"],
    ]
  ) {
    assertEquals(parseFast(argv), undefined, argv.join(" "));
  }
});
