/**
 * A flow task running as another user (`user: nobody`) under `orch run --jobs --trigger`: `.orch/`
 * is private (0700), so the run gives such a task a directory of its own for its payload and its
 * outputs, owned by that user, mode 0700, removed once the run ends.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { runOrch } from "../../src/testing/cli.ts";
import { SqliteHistory } from "../../src/store/sqlite.ts";

const asRoot = Deno.uid() === 0;
const hasNobody = (() => {
  try {
    return /^nobody:/m.test(Deno.readTextFileSync("/etc/passwd"));
  } catch {
    return false;
  }
})();
const skip = !asRoot || !hasNobody;
if (skip) console.error("tests/e2e/flow_user_test.ts: SKIPPED: needs root and a user nobody");

Deno.test({
  name: "a task as user nobody reads its payload and writes its outputs; .orch/ stays 0700",
  ignore: skip,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "orch-user-" });
    await Deno.mkdir(`${dir}/jobs`);
    await Deno.writeTextFile(
      `${dir}/jobs/f.yaml`,
      `name: f
tasks:
  who:
    command: >-
      echo "user $(id -un)";
      echo "payload $(cat "$ORCH_PAYLOAD_FILE")";
      echo "dir $(stat -c %a:%U "$(dirname "$ORCH_OUTPUTS")") $(dirname "$ORCH_OUTPUTS")";
      echo "me=$(id -un)" >> "$ORCH_OUTPUTS"
    user: nobody
    workdir: /
  after:
    command: 'echo "got \${tasks.who.me}"'
    dependsOn: [who]
`,
    );
    const out = await runOrch(dir, ["run", "--jobs", "jobs", "--trigger", "f"]);
    assertEquals(out.code, 0, out.stdout + out.stderr);
    assertMatch(out.stdout, /f\/who +\| user nobody/);
    assertMatch(out.stdout, /f\/who +\| payload \{\}/);
    assertMatch(out.stdout, /f\/after +\| got nobody/);
    const [, mode, privateDir] = /f\/who +\| dir (\S+) (\S+)/.exec(out.stdout)!;
    assertEquals(mode, "700:nobody");
    assert(!privateDir.startsWith(`${dir}/`), `${privateDir} is outside the project`);
    let gone = false;
    try {
      Deno.statSync(privateDir);
    } catch (error) {
      gone = error instanceof Deno.errors.NotFound;
    }
    assert(gone, `${privateDir} was removed after the run`);
    assertEquals((Deno.statSync(`${dir}/.orch`).mode! & 0o777).toString(8), "700");
    const db = new SqliteHistory(`${dir}/.orch/history.db`, { readOnly: true });
    assertEquals(db.taskRun(1, "who")?.outputs, { me: "nobody" });
    db.close();
    await Deno.remove(dir, { recursive: true });
  },
});
