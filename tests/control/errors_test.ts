/** The way back from an API error response to the OrchError the serving orch raised. */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { errorFromResponse } from "../../src/control/mod.ts";
import {
  ConfigError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  OrchError,
  UsageError,
} from "../../src/domain/errors.ts";

const body = (message: string, extra: Record<string, unknown> = {}) => ({
  error: { kind: "x", message, ...extra },
});

Deno.test("each status its error class and exit code, the message kept", () => {
  const cases: [number, new (...a: never[]) => Error, number][] = [
    [400, UsageError, 2],
    [403, ForbiddenError, 1],
    [404, NotFoundError, 1],
    [409, ConflictError, 1],
  ];
  for (const [status, type, exit] of cases) {
    const error = errorFromResponse(status, body(`said ${status}`));
    assert(error instanceof type, `${status}: ${error.name}`);
    assertEquals([error.message, error.exitCode], [`said ${status}`, exit]);
  }
});

Deno.test("422 carries the config issues; without them it still exits 2", () => {
  const issues = [{ file: "stack.yaml", line: 3, path: "services.a", message: "bad" }];
  const error = errorFromResponse(422, body("invalid", { issues }));
  assert(error instanceof ConfigError);
  assertEquals(error.issues, issues);
  assertEquals(error.exitCode, 2);
  const bare = errorFromResponse(422, body("invalid"));
  assertEquals([bare.constructor, bare.exitCode], [OrchError, 2]);
});

Deno.test("401 says how to give a token; other statuses are named; no body is HTTP n", () => {
  assertMatch(
    errorFromResponse(401, body("a token")).message,
    /a token \(set ORCH_TOKEN or --token\)/,
  );
  const busy = errorFromResponse(503, body("too many connections"));
  assertEquals(busy.message, "orch answered 503: too many connections");
  assertEquals(errorFromResponse(500, {}).message, "orch answered 500: HTTP 500");
});
