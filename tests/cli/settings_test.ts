/**
 * Conducktor's settings in their order: the environment, then `conducktor.config.yaml` in the
 * command's directory, then the flags. The file's bad keys are errors at their line; keys orch
 * has no use for are warnings.
 */
import { assert, assertEquals, assertMatch, assertThrows } from "../assert.ts";
import { parseSettingsFile } from "../../src/config/mod.ts";
import { ConfigError } from "../../src/domain/mod.ts";
import { hostSetting, maxExecutorsSetting } from "../../src/cli/settings.ts";
import { runOrch } from "../../src/testing/cli.ts";
import { freePort } from "../../src/testing/net.ts";
import { tempDir } from "../../src/testing/recorder.ts";

const envOf = (values: Record<string, string>) => (name: string) => values[name];

Deno.test("settings file: values by name (any case), unused keys reported, bad ones located", () => {
  const ok = parseSettingsFile(
    "c.yaml",
    "cdktr_master_host: 10.0.0.2\nCDKTR_MASTER_PORT: 8443\nCDKTR_HOME: /srv\n",
  );
  assertEquals([...ok.values], [["CDKTR_MASTER_HOST", "10.0.0.2"], ["CDKTR_MASTER_PORT", "8443"]]);
  assertEquals(ok.unused.map((i) => [i.line, i.path]), [[3, "CDKTR_HOME"]]);
  const error = assertThrows(() =>
    parseSettingsFile("c.yaml", "CDKTR_MASTR_HOST: x\nCDKTR_MAX_EXECUTORS: { n: 1 }\n")
  ) as ConfigError;
  assert(error instanceof ConfigError, String(error));
  assertEquals(error.issues.map((i) => [i.line, i.path]), [[1, "CDKTR_MASTR_HOST"], [
    2,
    "CDKTR_MAX_EXECUTORS",
  ]]);
  assertMatch(error.issues[0].hint ?? "", /did you mean "CDKTR_MASTER_HOST"/);
  assertMatch(
    assertThrows(() => parseSettingsFile("c.yaml", "- a\n")).message,
    /a table of settings/,
  );
  assertEquals(parseSettingsFile("c.yaml", "").values.size, 0);
});

Deno.test("settings: the flag over the file over the environment", () => {
  const env = envOf({ ORCH_HOST: "127.0.0.1:2", CDKTR_MAX_EXECUTORS: "3" });
  const file = envOf({
    CDKTR_MASTER_HOST: "127.0.0.1",
    CDKTR_MASTER_PORT: "4",
    CDKTR_MAX_EXECUTORS: "1",
  });
  assertEquals(hostSetting(undefined, env), "127.0.0.1:2");
  assertEquals(hostSetting(undefined, env, file), "127.0.0.1:4");
  assertEquals(hostSetting("127.0.0.1:5", env, file), "127.0.0.1:5");
  assertEquals(hostSetting(undefined, env, envOf({})), "127.0.0.1:2");
  assertEquals(maxExecutorsSetting(undefined, undefined, env), "3");
  assertEquals(maxExecutorsSetting(undefined, undefined, env, file), "1");
  assertEquals(maxExecutorsSetting("2", undefined, env, file), "2");
  // A flows config's scheduler.maxExecutors is the config: above both.
  assertEquals(maxExecutorsSetting(undefined, 6, env, file), undefined);
  const bad = assertThrows(() =>
    maxExecutorsSetting(undefined, undefined, env, envOf({ CDKTR_MAX_EXECUTORS: "many" }))
  );
  assertEquals(
    bad.message,
    'conducktor.config.yaml: CDKTR_MAX_EXECUTORS: expected a whole number from 1 to 10000, got "many"',
  );
});

Deno.test("orch status reads conducktor.config.yaml where it runs: above ORCH_HOST, below --host", async () => {
  await using dir = await tempDir();
  const [fromEnv, fromFile, fromFlag] = [freePort(), freePort(), freePort()];
  await Deno.writeTextFile(
    `${dir.path}/conducktor.config.yaml`,
    `CDKTR_HOST_PORT: "127.0.0.1:${fromFile}"\nCDKTR_HOME: /srv/cdktr\n`,
  );
  const env = { ORCH_HOST: `127.0.0.1:${fromEnv}` };
  const byFile = await runOrch(dir.path, ["status"], env);
  assertEquals(byFile.code, 1, byFile.stderr);
  assertMatch(byFile.stderr, new RegExp(`no orch answers at http://127\\.0\\.0\\.1:${fromFile}`));
  assertMatch(byFile.stderr, /conducktor\.config\.yaml:2:1: CDKTR_HOME: not used by orch/);
  const byFlag = await runOrch(dir.path, ["status", "--host", `127.0.0.1:${fromFlag}`], env);
  assertMatch(byFlag.stderr, new RegExp(`no orch answers at http://127\\.0\\.0\\.1:${fromFlag}`));

  await Deno.writeTextFile(`${dir.path}/conducktor.config.yaml`, "CDKTR_MASTR_HOST: x\n");
  const bad = await runOrch(dir.path, ["status"], env);
  assertEquals(bad.code, 2, bad.stderr);
  assertMatch(bad.stderr, /conducktor\.config\.yaml:1:1: CDKTR_MASTR_HOST: unknown setting/);
});
