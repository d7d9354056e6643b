/**
 * The client's error mapping, against a real HTTP server on 127.0.0.1: each status the API answers
 * with comes back as the error class a local command would have thrown, with its message and exit
 * code, so that a command exits the same way on either side of the socket.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../assert.ts";
import { connect } from "../../src/cli/client.ts";
import {
  ConfigError,
  ConflictError,
  NotFoundError,
  OrchError,
  UsageError,
} from "../../src/domain/errors.ts";
import { freePort } from "../../src/testing/net.ts";

/** Answers `/STATUS` with that status and the API's error body (`/STATUS/raw`: a plain text one). */
function erring(): AsyncDisposable & { host: string } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const [, code, raw] = new URL(req.url).pathname.split("/");
    const status = Number(code);
    if (status === 200) return Response.json({ ok: true });
    if (raw) return new Response("<html>bad gateway</html>", { status });
    const issues = status === 422
      ? [{
        file: "stack.yaml",
        line: 3,
        column: 5,
        path: "services.api.command",
        message: "is required",
      }]
      : undefined;
    return Response.json({ error: { kind: "k", message: `said with ${status}`, issues } }, {
      status,
    });
  });
  return { host: `127.0.0.1:${server.addr.port}`, [Symbol.asyncDispose]: () => server.shutdown() };
}

Deno.test("API statuses come back as the error classes commands throw, with their exit codes", async () => {
  await using api = erring();
  const client = await connect({ host: api.host });
  try {
    const fails = (status: number | string) =>
      assertRejects(() => client.request("GET", `/${status}`));
    const usage = await fails(400);
    assert(usage instanceof UsageError, String(usage));
    assertEquals([usage.message, (usage as OrchError).exitCode], ["said with 400", 2]);
    const unauthorized = await fails(401);
    assert(unauthorized instanceof OrchError);
    assertEquals(unauthorized.message, "said with 401 (set ORCH_TOKEN or --token)");
    const forbidden = await fails(403);
    assert(forbidden instanceof OrchError);
    assertEquals([forbidden.message, (forbidden as OrchError).exitCode], ["said with 403", 1]);
    const missing = await fails(404);
    assert(missing instanceof NotFoundError, String(missing));
    assertEquals(missing.message, "said with 404");
    const conflict = await fails(409);
    assert(conflict instanceof ConflictError, String(conflict));
    assertEquals(conflict.message, "said with 409");
    const invalid = await fails(422);
    assert(invalid instanceof ConfigError, String(invalid));
    assertEquals((invalid as ConfigError).exitCode, 2);
    assertEquals((invalid as ConfigError).issues[0].path, "services.api.command");
    assertMatch(invalid.message, /stack\.yaml:3:5: services\.api\.command: is required/);
    const internal = await fails(500);
    assert(internal instanceof OrchError);
    assertEquals([internal.message, (internal as OrchError).exitCode], [
      "orch answered 500: said with 500",
      1,
    ]);
    const gateway = await fails("502/raw");
    assertEquals(gateway.message, "orch answered 502: HTTP 502", "a body that is not the API's");
    assertEquals(await client.json("GET", "/200"), { ok: true });
  } finally {
    client.close();
  }
});

Deno.test("no orch at the address: an OrchError that says where it looked", async () => {
  const port = freePort();
  const client = await connect({ host: `http://127.0.0.1:${port}/` });
  try {
    const error = await assertRejects(() => client.status(), OrchError);
    assertMatch(error.message, new RegExp(`^no orch answers at http://127\\.0\\.0\\.1:${port}: `));
  } finally {
    client.close();
  }
  const none = await assertRejects(() => connect({}), OrchError);
  assertEquals(none.message, "no project: give -f FILE, or run in a project directory");
});
