/** The dashboard's site called with Requests (no socket), in front of the real API on a real engine. */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { createHandler } from "../../src/api/mod.ts";
import { EventBus } from "../../src/cli/bus.ts";
import { makeControl } from "../../src/cli/serve.ts";
import { testStack } from "../../src/testing/engine.ts";
import { assetPaths, type Assets } from "../../src/web/assets.ts";
import { createSite, CSRF_HEADER, type SiteOptions } from "../../src/web/site.ts";
import { Sessions } from "../../src/web/sessions.ts";
import { OrchError, UsageError } from "../../src/domain/errors.ts";

const ASSETS: Assets = {
  hash: "0123456789abcdef",
  html: "<!doctype html><title>orch</title>",
  js: "console.log(1)",
  css: "body{}",
  icon: "<svg/>",
};
const TOKENS = { admin: "admin-token-0123456789", readOnly: "read-token-0123456789" };
const COOKIE = "orch_test";

async function site(options: Partial<SiteOptions> = {}) {
  const t = await testStack(`
services:
  app:
    command: "exec sleep 30"
`);
  const controller = makeControl({
    engine: t.engine,
    logs: t.logs,
    bus: new EventBus(),
    project: t.dir,
    files: [`${t.dir}/stack.yaml`],
    startedAt: Date.now(),
    env: (n) => Deno.env.get(n),
    shutdown: () => {},
  });
  const sessions = options.sessions ?? new Sessions();
  const handler = createSite(createHandler(controller, { tokens: TOKENS }), {
    tokens: TOKENS,
    sessions,
    ui: true,
    assets: ASSETS,
    cookie: COOKIE,
    ...options,
  });
  const call = (
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: string } = {},
  ) => handler(new Request(`http://orch${path}`, { method, ...init }));
  /** Logs in with `token` through the URL; returns the cookie header to send. */
  const login = async (token: string) => {
    const response = await call("GET", `/ui/login?token=${encodeURIComponent(token)}`);
    assertEquals(response.status, 303);
    const cookie = response.headers.get("set-cookie")!.split(";")[0];
    const session = await (await call("GET", "/ui/session", { headers: { cookie } })).json();
    return { cookie, csrf: session.csrf as string, access: session.access as string };
  };
  return {
    t,
    sessions,
    call,
    login,
    async [Symbol.asyncDispose]() {
      await t[Symbol.asyncDispose]();
    },
  };
}

Deno.test("the page and its hashed assets are served with the policy and cache headers", async () => {
  await using s = await site();
  const page = await s.call("GET", "/ui/");
  assertEquals(page.status, 200);
  assertEquals(await page.text(), ASSETS.html);
  const csp = page.headers.get("content-security-policy")!;
  assertMatch(csp, /default-src 'none'/);
  assertMatch(csp, /script-src 'self'(;|$)/);
  assertMatch(csp, /connect-src 'self'/);
  assert(!csp.includes("unsafe-inline") && !csp.includes("unsafe-eval"), csp);
  assertEquals(page.headers.get("cache-control"), "no-store");
  assertEquals(page.headers.get("referrer-policy"), "no-referrer");
  assertEquals(page.headers.get("x-frame-options"), "DENY");
  const paths = assetPaths(ASSETS.hash);
  const js = await s.call("GET", paths.js);
  assertEquals([js.status, await js.text()], [200, ASSETS.js]);
  assertMatch(js.headers.get("content-type")!, /^text\/javascript/);
  assertMatch(js.headers.get("cache-control")!, /immutable/);
  assertEquals(await (await s.call("GET", paths.css)).text(), ASSETS.css);
  assertEquals((await s.call("GET", paths.icon)).headers.get("content-type"), "image/svg+xml");
  const stale = await s.call("GET", "/ui/app-ffffffffffffffff.js");
  assertEquals(stale.status, 404);
  await stale.body?.cancel();
  assertEquals((await s.call("GET", "/ui")).headers.get("location"), "/ui/");
  assertEquals((await s.call("GET", "/")).headers.get("location"), "/ui/");
  const post = await s.call("POST", "/ui/");
  assertEquals(post.status, 405);
  await post.body?.cancel();
});

Deno.test("assets given as a loader load with the first page asked for, once, not for the API", async () => {
  let loads = 0;
  await using s = await site({
    assets: () => {
      loads++;
      return Promise.resolve(ASSETS);
    },
  });
  const health = await s.call("GET", "/v1/health", {
    headers: { authorization: `Bearer ${TOKENS.admin}` },
  });
  assertEquals(health.status, 200);
  await health.body?.cancel();
  assertEquals(loads, 0, "an API request loads no asset");
  assertEquals(await (await s.call("GET", "/ui/")).text(), ASSETS.html);
  assertEquals(await (await s.call("GET", assetPaths(ASSETS.hash).js)).text(), ASSETS.js);
  assertEquals(await (await s.call("GET", "/ui/login")).text(), ASSETS.html);
  assertEquals(loads, 1, "loaded once");
});

Deno.test("a one-time login URL sets an HttpOnly SameSite=Strict cookie and works once", async () => {
  await using s = await site();
  const { token } = s.sessions.mintLogin("admin");
  const response = await s.call("GET", `/ui/login?token=${token}`);
  assertEquals(response.status, 303);
  assertEquals(response.headers.get("location"), "/ui/", "the token is not in the next URL");
  const cookie = response.headers.get("set-cookie")!;
  assertMatch(
    cookie,
    new RegExp(`^${COOKIE}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict$`),
  );
  assert(!cookie.includes(token), "the cookie is not the login token");
  const again = await s.call("GET", `/ui/login?token=${token}`);
  assertEquals(again.status, 401);
  assertEquals(again.headers.get("set-cookie"), null);
  const text = await again.text();
  assertMatch(text, /used already, it has expired/);
  assert(!text.includes(token), "the refused token is not echoed");
  assert(!text.includes("<script"), "no script on the notice");
});

Deno.test("the admin and read-only tokens log in as sessions of their level", async () => {
  await using s = await site();
  assertEquals((await s.login(TOKENS.admin)).access, "admin");
  assertEquals((await s.login(TOKENS.readOnly)).access, "read");
  const bad = await s.call("GET", "/ui/login?token=nope");
  assertEquals(bad.status, 401);
  await bad.body?.cancel();
  const none = await s.call("GET", "/ui/session");
  assertEquals(none.status, 401);
  await none.body?.cancel();
});

Deno.test("with the cookie the API answers; a change needs the CSRF header", async () => {
  await using s = await site();
  s.t.engine.start();
  await s.t.events.until(() => s.t.engine.status()[0]?.state === "ready", "app ready");
  const { cookie, csrf } = await s.login(s.sessions.mintLogin("admin").token);
  const status = await s.call("GET", "/v1/status", { headers: { cookie } });
  assertEquals(status.status, 200);
  assertEquals((await status.json()).services[0].service, "app");
  for (
    const headers of [
      { cookie } as Record<string, string>,
      { cookie, [CSRF_HEADER]: "wrong" },
      { cookie, [CSRF_HEADER]: csrf, "sec-fetch-site": "cross-site" },
    ]
  ) {
    const refused = await s.call("POST", "/v1/services/app/stop", { headers });
    assertEquals(refused.status, 403, JSON.stringify(headers));
    assertMatch((await refused.json()).error.message, /x-orch-csrf/);
  }
  assertEquals(s.t.engine.status()[0].want, "up", "nothing was stopped");
  const stopped = await s.call("POST", "/v1/services/app/stop", {
    headers: { cookie, [CSRF_HEADER]: csrf, "sec-fetch-site": "same-origin" },
  });
  assertEquals(stopped.status, 200, await stopped.clone().text());
  assertEquals((await stopped.json()).action, "stop");
  assertEquals(s.t.engine.status()[0].state, "stopped");
});

Deno.test("a read-only session reads everything and changes nothing", async () => {
  await using s = await site();
  s.t.engine.start();
  await s.t.events.until(() => s.t.engine.status()[0]?.state === "ready", "app ready");
  const { cookie, csrf } = await s.login(s.sessions.mintLogin("read").token);
  const logs = await s.call("GET", "/v1/logs", { headers: { cookie } });
  assertEquals(logs.status, 200);
  await logs.body?.cancel();
  const refused = await s.call("POST", "/v1/services/app/restart", {
    headers: { cookie, [CSRF_HEADER]: csrf },
  });
  assertEquals(refused.status, 403);
  assertMatch((await refused.json()).error.message, /read-only/);
  assertEquals(s.t.engine.status()[0].restarts, 0);
});

Deno.test("bearer tokens work as before, and a bad one is refused even with a cookie", async () => {
  await using s = await site();
  const { cookie } = await s.login(TOKENS.admin);
  const ok = await s.call("GET", "/v1/health", {
    headers: { authorization: `Bearer ${TOKENS.readOnly}` },
  });
  assertEquals(ok.status, 200);
  await ok.body?.cancel();
  const bad = await s.call("GET", "/v1/health", {
    headers: { cookie, authorization: "Bearer nope" },
  });
  assertEquals(bad.status, 401);
  await bad.body?.cancel();
  const anonymous = await s.call("GET", "/v1/health");
  assertEquals(anonymous.status, 401);
  assertEquals(anonymous.headers.get("www-authenticate"), 'Bearer realm="orch"', "the API answers");
  assertMatch((await anonymous.json()).error.message, /a valid bearer token is required/);
  const other = await s.call("GET", "/v1/health", {
    headers: { cookie: cookie.replace(COOKIE, "orch_other") },
  });
  assertEquals(other.status, 401, "another orch's cookie is not this one's");
  await other.body?.cancel();
});

Deno.test("POST /ui/login takes a pasted token as JSON from orch's own page only", async () => {
  await using s = await site();
  const form = await s.call("POST", "/ui/login", {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `token=${TOKENS.admin}`,
  });
  assertEquals(form.status, 415);
  await form.body?.cancel();
  const cross = await s.call("POST", "/ui/login", {
    headers: { "content-type": "application/json", "sec-fetch-site": "cross-site" },
    body: JSON.stringify({ token: TOKENS.admin }),
  });
  assertEquals(cross.status, 403);
  await cross.body?.cancel();
  const wrong = await s.call("POST", "/ui/login", {
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token: "nope" }),
  });
  assertEquals(wrong.status, 401);
  await wrong.body?.cancel();
  const ok = await s.call("POST", "/ui/login", {
    headers: { "content-type": "application/json", "sec-fetch-site": "same-origin" },
    body: JSON.stringify({ token: ` ${TOKENS.readOnly}\n` }),
  });
  assertEquals(ok.status, 200);
  const body = await ok.json();
  assertEquals(body.access, "read");
  assertMatch(ok.headers.get("set-cookie")!, /HttpOnly; SameSite=Strict/);
});

Deno.test("logout needs the CSRF header and ends the session", async () => {
  await using s = await site();
  const { cookie, csrf } = await s.login(TOKENS.readOnly);
  const refused = await s.call("POST", "/ui/logout", { headers: { cookie } });
  assertEquals(refused.status, 403);
  await refused.body?.cancel();
  const out = await s.call("POST", "/ui/logout", { headers: { cookie, [CSRF_HEADER]: csrf } });
  assertEquals(out.status, 204);
  assertMatch(out.headers.get("set-cookie")!, /Max-Age=0/);
  const after = await s.call("GET", "/ui/session", { headers: { cookie } });
  assertEquals(after.status, 401);
  await after.body?.cancel();
});

Deno.test("a session that has ended is refused", async () => {
  let now = 1_000_000;
  await using s = await site({ sessions: new Sessions({ now: () => now, idleMs: 1000 }) });
  const { cookie } = await s.login(TOKENS.admin);
  now += 1000;
  const response = await s.call("GET", "/v1/health", { headers: { cookie } });
  assertEquals(response.status, 401);
  assertMatch((await response.json()).error.message, /the session has ended; log in again/);
});

Deno.test("POST /v1/ui on the socket opens the dashboard and mints a one-time login", async () => {
  await using s = await site();
  const asked: (string | undefined)[] = [];
  const socket = createSite(() => Promise.resolve(new Response("api")), {
    sessions: s.sessions,
    ui: false,
    assets: ASSETS,
    cookie: COOKIE,
    openUi: (want) => {
      asked.push(want.listen);
      return Promise.resolve({ listen: "127.0.0.1:4567" });
    },
  });
  const post = (body: unknown) =>
    socket(
      new Request("http://orch/v1/ui", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    );
  const opened = await (await post({ listen: "127.0.0.1:0" })).json();
  assertEquals([opened.listen, opened.access, asked], ["127.0.0.1:4567", "admin", ["127.0.0.1:0"]]);
  assertMatch(opened.path, /^\/ui\/login\?token=[A-Za-z0-9_-]{43}$/);
  const { access } = await s.login(new URL(`http://x${opened.path}`).searchParams.get("token")!);
  assertEquals(access, "admin");
  const read = await (await post({ access: "read" })).json();
  assertEquals(
    (await s.login(new URL(`http://x${read.path}`).searchParams.get("token")!)).access,
    "read",
  );
  const bad = await post({ access: "root" });
  assertEquals(bad.status, 400);
  await bad.body?.cancel();
  const unknown = await post({ acess: "read" });
  assertEquals(unknown.status, 400);
  assertMatch((await unknown.json()).error.message, /"acess": unknown field/);
  // Other requests go to the API as they came.
  assertEquals(await (await socket(new Request("http://orch/v1/status"))).text(), "api");
});

Deno.test("a read-only caller may open read-only sessions only", async () => {
  await using s = await site();
  const post = (token: string, body: unknown) =>
    s.call("POST", "/v1/ui", {
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const refused = await post(TOKENS.readOnly, { access: "admin" });
  assertEquals(refused.status, 403);
  await refused.body?.cancel();
  const read = await (await post(TOKENS.readOnly, {})).json();
  assertEquals([read.access, read.listen], ["read", undefined], "served here: no other listener");
  const admin = await (await post(TOKENS.admin, {})).json();
  assertEquals(admin.access, "admin");
});

Deno.test("POST /v1/ui says why the dashboard could not be opened", async () => {
  await using s = await site();
  const failing = (error: Error) =>
    createSite(() => Promise.resolve(new Response("api")), {
      sessions: s.sessions,
      ui: false,
      assets: ASSETS,
      cookie: COOKIE,
      openUi: () => Promise.reject(error),
    })(new Request("http://orch/v1/ui", { method: "POST" }));
  const busy = await failing(
    new OrchError("cannot serve the dashboard on 127.0.0.1:1: address in use"),
  );
  assertEquals(busy.status, 409);
  assertMatch((await busy.json()).error.message, /address in use/);
  const bad = await failing(new UsageError('--listen: "x" is not HOST:PORT'));
  assertEquals(bad.status, 400);
  await bad.body?.cancel();
});
