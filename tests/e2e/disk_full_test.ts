/**
 * A full disk under `.orch/logs`: the services keep running, orch says that writing the log fails
 * and how many records it lost (a note, `/v1/status`, a metric), never writes a torn line, and
 * resumes when space returns.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { MAIN, runOrch } from "../../src/testing/cli.ts";
import { processAlive, tempDir } from "../../src/testing/recorder.ts";
import { mountTmpfs } from "../../src/testing/tmpfs.ts";

const STACK = `
services:
  chatty:
    command: "i=0; while true; do i=$((i+1)); echo \\"line $i of a chatty service, padded to be long\\"; sleep 0.005; done"
`;

Deno.test("a full disk loses no record silently, tears none, and writing resumes", async (t) => {
  await using dir = await tempDir();
  const fs = await mountTmpfs(`${dir.path}/.orch/logs`, "256k");
  if (typeof fs === "string") {
    console.error(`tests/e2e/disk_full_test.ts: SKIPPED: ${fs}`);
    await t.step({ name: "needs a tmpfs", ignore: true, fn: () => {} });
    return;
  }
  await using _mounted = fs;
  await Deno.writeTextFile(`${dir.path}/stack.yaml`, STACK);
  await fs.fill(16 * 1024);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "up", "--no-tui"],
    cwd: dir.path,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  /** Reads orch's output until `pattern` matches it from `from` on, under a deadline. */
  const waitFor = async (what: string, pattern: RegExp, from = 0) => {
    const deadline = setTimeout(() => child.kill("SIGKILL"), 30_000);
    try {
      for (;;) {
        const match = pattern.exec(out.slice(from));
        if (match) return match;
        const { value, done } = await reader.read();
        if (done) throw new Error(`orch exited before ${what}:\n${out.slice(-2000)}`);
        out += value;
      }
    } finally {
      clearTimeout(deadline);
    }
  };
  try {
    await waitFor("the failing note", /writing the log to \S+ is failing \(.*\)/);
    const status = await runOrch(dir.path, ["status", "--json"]);
    const body = JSON.parse(status.stdout);
    assertEquals(body.logs.failing, true, status.stdout);
    assert(body.logs.lostRecords > 0, "the lost records are counted");
    assertEquals(body.instances[0].state, "ready", "the service keeps running");
    assert(processAlive(body.instances[0].pid));
    const human = await runOrch(dir.path, ["status"]);
    assertMatch(human.stdout, /logs: writing \S+orch\.ndjson fails \(.*\); \d+ record\(s\) lost/);
    const client = Deno.createHttpClient({
      proxy: { transport: "unix", path: `${dir.path}/.orch/orch.sock` },
    });
    const metrics = await (await fetch("http://localhost/metrics", { client })).text();
    client.close();
    assertMatch(metrics, /^orch_log_records_lost_total\{stack="[^"]+"\} [1-9]\d*$/m);
    assertMatch(metrics, /^orch_log_persistence_failing\{stack="[^"]+"\} 1$/m);

    await fs.free();
    const resumed = await waitFor(
      "the resumed note",
      /writing the log to \S+ resumed: (\d+) record\(s\) were lost while it failed/,
    );
    const lost = Number(resumed[1]);
    // A few more lines of the service after the resume, then stop.
    await waitFor("five more lines", /(?:chatty\s+\| line \d+[^\n]*\n[^]*){5}/, out.length);
    child.kill("SIGTERM");
    const status2 = await child.status;
    assertEquals(status2.code, 0, await stderr);
    await reader.cancel().catch(() => {});

    const text = await Deno.readTextFile(`${dir.path}/.orch/logs/orch.ndjson`);
    assert(text.endsWith("\n"), "the file ends with a whole record");
    const records = text.slice(0, -1).split("\n").map((line, i) => {
      try {
        return JSON.parse(line);
      } catch {
        throw new Error(`line ${i + 1} of the NDJSON is torn: ${JSON.stringify(line)}`);
      }
    });
    const seqs = new Set(records.map((r) => r.seq));
    const last = Math.max(...seqs);
    let missing = 0;
    for (let s = 1; s <= last; s++) if (!seqs.has(s)) missing++;
    assert(lost > 0);
    assertEquals(missing, lost, "what is missing from the file is what orch said it lost");
    assert(
      records.some((r) => r.msg.startsWith("writing the log to ") && r.msg.includes("resumed")),
      "the note saying so is in the file",
    );
    const resumedAt = records.find((r) => r.msg.includes("resumed: "))!.seq;
    const after = records.filter((r) => r.seq > resumedAt && r.service === "chatty");
    assert(
      after.length > 0,
      `records after the resume are written: ${JSON.stringify(records.slice(-3))}`,
    );
    let rotated = true;
    try {
      await Deno.stat(`${dir.path}/.orch/logs/orch.ndjson.1`);
    } catch {
      rotated = false;
    }
    assert(!rotated, "lost bytes do not count towards rotation");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // exited
    }
    await child.status;
    await reader.cancel().catch(() => {});
  }
});
