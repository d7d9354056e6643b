/**
 * `orch apply` against a real HTTP server on 127.0.0.1 that answers the apply before its event
 * stream has carried the rollout's last event, as orch's own API may (two connections): the CLI
 * still prints the rollout's end, and before "applied".
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { applyCommand } from "../../src/cli/apply.ts";
import { testIO } from "../../src/testing/io.ts";
import { tempDir } from "../../src/testing/recorder.ts";

const plan = {
  added: [],
  removed: [],
  changed: [{ service: "web", fields: ["env"], strategy: "rolling" }],
  scaled: [],
  unchanged: ["other"],
};

const rollout = (phase: string, message: string) =>
  `data: ${
    JSON.stringify({ type: "rollout", ts: Date.now(), service: "web", phase, message })
  }\n\n`;

/** A server whose apply answers at once, and whose stream sends "done" only after that answer. */
function server(lateMs: number) {
  let answered!: () => void;
  const applied = new Promise<void>((resolve) => (answered = resolve));
  const encoder = new TextEncoder();
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/v1/events") {
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(encoder.encode(": orch events\n\n"));
          controller.enqueue(encoder.encode(rollout("started", "rolling update of 1 replica")));
          await applied;
          await new Promise((r) => setTimeout(r, lateMs));
          controller.enqueue(encoder.encode(rollout("done", "1 replica(s) on the new definition")));
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    }
    if (path === "/v1/apply") {
      const { dryRun } = await request.json();
      if (!dryRun) setTimeout(answered, 0);
      return Response.json(dryRun ? { plan } : { plan, failed: {} });
    }
    return new Response("not found", { status: 404 });
  });
  return { http, port: (http.addr as Deno.NetAddr).port };
}

/** `orch apply` against {@link server}: its exit code, what it printed, how long it took. */
async function apply(lateMs: number) {
  await using dir = await tempDir();
  const { http, port } = server(lateMs);
  try {
    let out = "";
    const io = testIO({ cwd: dir.path, out: (t) => (out += t) });
    const begin = performance.now();
    const code = await applyCommand(io, { host: `http://127.0.0.1:${port}` });
    return { code, out, took: performance.now() - begin };
  } finally {
    await http.shutdown();
  }
}

Deno.test("orch apply prints the rollout's end that comes after the apply's answer", async () => {
  const { code, out } = await apply(300);
  assertEquals(code, 0, out);
  assertMatch(out, /rollout started[\s\S]*rollout done[\s\S]*applied\n$/);
});

Deno.test("orch apply waits at most 2 s for a rollout's end that never comes", async () => {
  const { code, out, took } = await apply(60_000);
  assertEquals(code, 0, out);
  assert(took >= 1900 && took < 10_000, `apply returned after ${Math.round(took)}ms`);
  assert(!out.includes("rollout done"), out);
  assertMatch(out, /rollout started[\s\S]*applied\n$/);
});
