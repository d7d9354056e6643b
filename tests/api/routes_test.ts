/** The route table: in step with the OpenAPI document, and the generic 404 and 405. */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import {
  BODY_LIMITS,
  bodyLimit,
  createHandler,
  kindOf,
  OPENAPI,
  Router,
  ROUTES,
  STATUS,
} from "../../src/api/mod.ts";
import type { Control } from "../../src/control/mod.ts";
import {
  ConfigError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  OrchError,
  UsageError,
} from "../../src/domain/errors.ts";

/** Routes the dashboard's site serves in front of the API (src/web/site.ts), documented with it. */
const SITE_ROUTES = ["POST /v1/ui"];

Deno.test("every route is in the OpenAPI document with its method, and nothing else is", () => {
  const documented = Object.entries(OPENAPI.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`)
  ).filter((route) => !SITE_ROUTES.includes(route)).sort();
  const routed = ROUTES.map((r) => `${r.method} ${r.path}`).sort();
  assertEquals(routed, documented);
});

Deno.test("the OpenAPI error kinds are the table's", () => {
  const schema = OPENAPI.components.responses.Error.content["application/json"].schema;
  assertEquals(schema.properties.error.properties.kind.enum, Object.keys(STATUS));
});

Deno.test("a path matching no route is nothing; another method is named; parameters decode", () => {
  const router = new Router([
    { method: "GET", path: "/v1/things/{name}", handle: "get" },
    { method: "POST", path: "/v1/things/{name}/poke", handle: "poke" },
  ]);
  assertEquals(router.match("GET", "/v1/nope"), { found: "nothing" });
  assertEquals(router.match("GET", "/v1/things/a/poke"), {
    found: "other-method",
    allowed: ["POST"],
  });
  const hit = router.match("HEAD", "/v1/things/a%20b");
  assert(hit.found === "route");
  assertEquals([hit.route.handle, hit.params.name], ["get", "a b"]);
  assertEquals(router.match("GET", "/v1/things/a/b"), { found: "nothing" });
  let message = "";
  try {
    router.match("GET", "/v1/things/%zz");
  } catch (error) {
    message = (error as Error).message;
  }
  assertMatch(message, /name: "%zz" is not a valid percent-encoded name/);
});

Deno.test("the body limit is the route's: 16 MiB for apply, 1 MiB elsewhere, even for a bad path", () => {
  assertEquals(bodyLimit("POST", "/v1/apply"), BODY_LIMITS.apply);
  assertEquals(bodyLimit("POST", "/v1/apply/"), BODY_LIMITS.apply);
  assertEquals(bodyLimit("POST", "/v1/services/x/send"), BODY_LIMITS.json);
  assertEquals(bodyLimit("POST", "/v1/services/%zz/send"), BODY_LIMITS.json);
  assertEquals(bodyLimit("POST", "/nowhere"), BODY_LIMITS.json);
});

Deno.test("error kinds: each class its own; a bare OrchError or a bug is unclassified", () => {
  assertEquals(kindOf(new ConfigError([{ file: "a", path: "", message: "x" }])), "invalid_config");
  assertEquals(kindOf(new NotFoundError("x")), "not_found");
  assertEquals(kindOf(new ForbiddenError("x")), "forbidden");
  assertEquals(kindOf(new ConflictError("x")), "conflict");
  assertEquals(kindOf(new UsageError("x")), "bad_request");
  assertEquals(kindOf(new OrchError("x")), undefined);
  assertEquals(kindOf(new TypeError("x")), undefined);
});

/** A control whose every method fails with `error`. */
function failing(error: Error): Control {
  const fail = () => Promise.reject(error);
  return {
    where: "test",
    info: fail,
    status: fail,
    services: fail,
    service: fail,
    start: fail,
    stop: fail,
    restart: fail,
    scale: fail,
    send: fail,
    plan: fail,
    apply: fail,
    logs: fail,
    events: fail,
    shutdown: fail,
    close: () => {},
  };
}

Deno.test("the handler: 405 with Allow, 404 naming the route, a bare OrchError a generic 500", async () => {
  const reported: unknown[] = [];
  const handler = createHandler(failing(new OrchError("the secret path /etc/x is odd")), {
    onInternalError: (e) => reported.push(e),
  });
  const call = (method: string, path: string) =>
    handler(new Request(`http://orch${path}`, { method }));
  const wrong = await call("DELETE", "/v1/services/a/restart");
  assertEquals(wrong.status, 405);
  assertEquals(wrong.headers.get("allow"), "POST");
  assertMatch((await wrong.json()).error.message, /^use POST \/v1\/services\/a\/restart$/);
  const nowhere = await call("GET", "/v1/nowhere");
  assertEquals(nowhere.status, 404);
  assertMatch((await nowhere.json()).error.message, /no route GET \/v1\/nowhere/);
  const bare = await call("GET", "/v1/status");
  assertEquals(bare.status, 500);
  const text = await bare.text();
  assert(!text.includes("secret"), text);
  assertEquals(JSON.parse(text).error.kind, "internal");
  assertMatch(String(reported[0]), /the secret path/);
  const conflict = createHandler(failing(new ConflictError("busy now")));
  const answer = await conflict(new Request("http://orch/v1/services/a/stop", { method: "POST" }));
  assertEquals([answer.status, (await answer.json()).error.message], [409, "busy now"]);
});
