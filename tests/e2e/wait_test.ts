/**
 * `orch up -d --wait` follows the event stream: a service that is ready most of the time but
 * crashes again and again is never taken for ready (status polls 100 ms apart would see it ready
 * twice in a row), and the wait ends when it gives up. Each run lasts 10 ms, well inside the 100 ms
 * that readiness must hold, so that a loaded machine stretching it does not make it steady.
 */
import { assertEquals, assertMatch } from "../assert.ts";
import { runOrch } from "../../src/testing/cli.ts";
import { processAlive, tempDir } from "../../src/testing/recorder.ts";

Deno.test("up -d --wait sees a crash between two moments of readiness", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir.path}/stack.yaml`,
    `services:
  flaky:
    command: "sleep 0.01; exit 1"
    restartPolicy: { maxRetries: 12, backoff: { min: 5ms, max: 5ms } }
  steady: { command: "exec sleep 60" }
`,
  );
  try {
    const up = await runOrch(dir.path, ["up", "-d", "--wait", "--timeout", "60s"], {}, {
      timeoutMs: 90_000,
    });
    assertEquals(up.code, 1, up.stdout + up.stderr);
    assertMatch(up.stderr, /not ready:\n {2}flaky failed: gave up after 12 restarts/);
  } finally {
    const pid = (() => {
      try {
        return JSON.parse(Deno.readTextFileSync(`${dir.path}/.orch/orch.json`)).pid as number;
      } catch {
        return undefined;
      }
    })();
    await runOrch(dir.path, ["down", "--timeout", "5s"]);
    if (pid && processAlive(pid)) Deno.kill(pid, "SIGKILL");
  }
});
