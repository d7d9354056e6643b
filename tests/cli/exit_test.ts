import { assertEquals, assertMatch } from "../assert.ts";
import { ConfigError, OrchError, UsageError } from "../../src/domain/errors.ts";
import { describeError, exitCodeOf } from "../../src/cli/exit.ts";

Deno.test("exitCodeOf: user errors carry theirs, the machine's refusals are 1, bugs are 70", () => {
  assertEquals(exitCodeOf(new UsageError("x")), 2);
  assertEquals(exitCodeOf(new ConfigError([{ file: "a.yaml", path: "", message: "bad" }])), 2);
  assertEquals(exitCodeOf(new OrchError("refused")), 1);
  assertEquals(exitCodeOf(new Deno.errors.AddrInUse("Address already in use (os error 98)")), 1);
  assertEquals(exitCodeOf(new Deno.errors.PermissionDenied("Permission denied")), 1);
  assertEquals(exitCodeOf(new Deno.errors.NotCapable("Requires run access")), 2);
  assertEquals(exitCodeOf(Object.assign(new Error("No space left"), { code: "ENOSPC" })), 1);
  assertEquals(exitCodeOf(Object.assign(new Error("x"), { code: "commander.unknownOption" })), 2);
  assertEquals(exitCodeOf(Object.assign(new Error("x"), { code: "commander.helpDisplayed" })), 0);
  assertEquals(exitCodeOf(new TypeError("input.trim is not a function")), 70);
  assertEquals(exitCodeOf("thrown string"), 70);
});

Deno.test("describeError: one line naming what failed and what to do; a bug gets its stack", () => {
  const capable = new Deno.errors.NotCapable(
    'Requires run access to "sh", run again with the --allow-run flag',
  );
  assertEquals(
    describeError(capable),
    "orch: orch was not given --allow-run (needed to start services); run it with deno run -A, " +
      "or add --allow-run\n",
  );
  assertEquals(describeError(new UsageError("bad")), "orch: bad\n");
  assertEquals(describeError(Object.assign(new Error("x"), { code: "commander.missing" })), "");
  const bug = describeError(new TypeError("boom"));
  assertMatch(bug, /^orch: internal error \(a bug in orch; please report it\): TypeError: boom\n/);
  assertMatch(bug, /\n\s+at /, "an internal error carries its stack trace");
});
