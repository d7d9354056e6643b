/**
 * Readiness apart from liveness, with real processes: a probe failing after ready either restarts
 * the instance (liveness, the default in stack.yaml) or only makes it unready until it passes again
 * (`health.onFailure: unready`, and every `ready_cmd` of orchestrate.toml).
 */
import { assert, assertEquals } from "../assert.ts";
import { testStack, testStackFromFiles } from "../../src/testing/engine.ts";
import { tempDir } from "../../src/testing/recorder.ts";
import { loadStack } from "../../src/config/load.ts";

Deno.test("onFailure: unready leaves the process alone and dependents see it; the default restarts", async () => {
  await using t = await testStack(`
services:
  gate:
    command: exec sleep 30
    health:
      cmd: { command: "test -e gate.flag" }
      interval: 100ms
      failureThreshold: 1
      onFailure: unready
  live:
    command: exec sleep 30
    health: { cmd: { command: "test -e live.flag" }, interval: 100ms, failureThreshold: 1 }
  client:
    kind: daemon
    command: exec sleep 30
    dependsOn: [{ target: gate, restart: true }]
    replicas: 0
`);
  const one = (name: string) => t.engine.status().find((s) => s.service === name)!;
  await Deno.writeTextFile(`${t.dir}/gate.flag`, "");
  await Deno.writeTextFile(`${t.dir}/live.flag`, "");
  t.engine.start();
  await t.events.until(
    () => one("gate").state === "ready" && one("live").state === "ready",
    "ready",
  );
  const [gatePid, livePid] = [one("gate").pid, one("live").pid];
  await Deno.remove(`${t.dir}/gate.flag`);
  await Deno.remove(`${t.dir}/live.flag`);
  await t.events.until(() => one("gate").message.startsWith("unready: "), "gate unready");
  await t.events.until(() => one("live").restarts >= 1, "live restarted");
  assertEquals([one("gate").state, one("gate").pid, one("gate").restarts], ["running", gatePid, 0]);
  assert(one("live").pid !== livePid, "the liveness failure restarted live");

  await t.engine.scale("client", 1);
  await t.events.until(
    () => one("client").message.startsWith("blocked: dependency gate not ready"),
    "client blocked on the unready gate",
  );
  await Deno.writeTextFile(`${t.dir}/gate.flag`, "");
  await t.events.until(() => one("client").state === "ready", "client started once gate is ready");
  assertEquals([one("gate").state, one("gate").pid, one("gate").restarts], ["ready", gatePid, 0]);

  // Unready then ready again is not a restart: a follower with restart: true stays as it is.
  const clientPid = one("client").pid;
  await Deno.remove(`${t.dir}/gate.flag`);
  await t.events.until(() => one("gate").state === "running", "gate unready again");
  await Deno.writeTextFile(`${t.dir}/gate.flag`, "");
  await t.events.until(() => one("gate").state === "ready", "gate ready again");
  assertEquals([one("client").pid, one("client").restarts], [clientPid, 0]);
});

Deno.test("ready_cmd of orchestrate.toml is readiness only: unready without a restart, ready again", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir.path}/orchestrate.toml`,
    `[[task]]\nname = "web"\nkind = "service"\ncmd = "sleep 60"\nready_cmd = "test -e ready.flag"\n`,
  );
  await Deno.writeTextFile(`${dir.path}/ready.flag`, "");
  await using t = await testStackFromFiles([`${dir.path}/orchestrate.toml`]);
  assertEquals(t.engine.stack.services.web.health?.onFailure, "unready");
  const web = () => t.engine.status()[0];
  t.engine.start();
  await t.events.reached("web", "ready");
  const pid = web().pid;
  await Deno.remove(`${dir.path}/ready.flag`);
  await t.events.until(() => web().message.startsWith("unready: "), "web unready", 20_000);
  assertEquals([web().state, web().pid, web().restarts], ["running", pid, 0]);
  await Deno.writeTextFile(`${dir.path}/ready.flag`, "");
  await t.events.until(() => web().state === "ready", "web ready again", 20_000);
  assertEquals([web().pid, web().restarts], [pid, 0]);
});

Deno.test("ready_cmd of the [[services]] format is readiness only too", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir.path}/services.toml`,
    `[[services]]\nname = "app"\ncommand = "sleep 60"\nready_cmd = "true"\n`,
  );
  const { stack } = await loadStack([`${dir.path}/services.toml`]);
  assertEquals(stack.services.app.health?.onFailure, "unready");
});
