/**
 * The dashboard in front of the control API, as one `Request -> Response` function: the page and
 * its hashed assets under `/ui/`, logins (a one-time login URL, or a token pasted into the page)
 * that set an HttpOnly, SameSite=Strict session cookie, and the API reached with that cookie as
 * well as with a bearer token. A cookie's request that changes anything also needs the session's
 * CSRF token in `X-Orch-CSRF`; a read-only session changes nothing. Knows no sockets.
 *
 * @module
 */
import { OrchError, UsageError } from "../domain/mod.ts";
import type { Assets } from "./assets.ts";
import { assetPaths } from "./assets.ts";
import {
  clearedCookie,
  readCookie,
  securityHeaders,
  sessionCookie,
  withBearer,
} from "./headers.ts";
import { type Access, sameSecret, type Session, type Sessions } from "./sessions.ts";

/** The header that carries a session's CSRF token. */
export const CSRF_HEADER = "x-orch-csrf";

/** Where the dashboard is served, as `POST /v1/ui` learns it. */
export interface UiListener {
  /** `HOST:PORT` of the TCP listener that serves the dashboard. */
  readonly listen: string;
}

/** Options of the site. */
export interface SiteOptions {
  /** The API's tokens on this listener; absent on the unix socket, where everyone is admin. */
  readonly tokens?: { readonly admin: string; readonly readOnly: string };
  readonly sessions: Sessions;
  /** Serve the dashboard here (a TCP listener with tokens); else only `POST /v1/ui`. */
  readonly ui: boolean;
  /** The page and its files, or how to load them (on the first request for one). */
  readonly assets: Assets | (() => Promise<Assets>);
  /** The session cookie's name (unique per orch: cookies do not tell ports apart). */
  readonly cookie: string;
  /**
   * Starts the dashboard's listener if it is not on (on `listen`, or a free port of 127.0.0.1),
   * for `POST /v1/ui` on a listener that does not serve it itself.
   */
  readonly openUi?: (want: { listen?: string }) => Promise<UiListener>;
}

type Handler = (request: Request) => Promise<Response>;

/** Who a request is: its access level, and its session when it came with the cookie. */
interface Caller {
  readonly access: Access;
  readonly session?: Session;
}

const READING = new Set(["GET", "HEAD"]);

function errorBody(kind: string, message: string): string {
  return JSON.stringify({ error: { kind, message } }) + "\n";
}

/** A JSON response with the dashboard's headers. */
function json(body: unknown, status = 200, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body) + "\n", {
    status,
    headers: {
      ...securityHeaders(),
      "content-type": "application/json",
      "cache-control": "no-store",
      ...extra,
    },
  });
}

function fail(status: number, kind: string, message: string): Response {
  return new Response(errorBody(kind, message), {
    status,
    headers: {
      ...securityHeaders(),
      "content-type": "application/json",
      "cache-control": "no-store",
    },
  });
}

function page(status: number, body: string, type: string, cache: string): Response {
  return new Response(body, {
    status,
    headers: { ...securityHeaders(), "content-type": type, "cache-control": cache },
  });
}

const HTML = "text/html; charset=utf-8";

/** A redirect to a path of this origin (the request's own URL names no real host). */
function redirect(location: string, status: number, extra: Record<string, string> = {}) {
  return new Response(null, {
    status,
    headers: { ...securityHeaders(), location, "cache-control": "no-store", ...extra },
  });
}

/** A page of plain words (no script): a login link that did not work. */
function notice(status: number, title: string, text: string): Response {
  const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return page(
    status,
    `<!doctype html><meta charset="utf-8"><title>orch: ${escape(title)}</title>` +
      `<h1>${escape(title)}</h1><p>${escape(text)}</p>`,
    HTML,
    "no-store",
  );
}

/** Reads a small JSON object body with only `allowed` fields; an error response if it is not. */
async function smallJson(
  request: Request,
  allowed: readonly string[],
): Promise<Record<string, unknown> | Response> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  let text = "";
  if (request.body) {
    const reader = request.body.getReader();
    const parts: Uint8Array[] = [];
    let size = 0;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        size += value.length;
        if (size > 4096) {
          return fail(413, "too_large", "the request body is larger than 4096 bytes");
        }
        parts.push(value);
      }
    } catch {
      return fail(400, "bad_request", "the request body could not be read");
    } finally {
      await reader.cancel().catch(() => {});
    }
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const part of parts) bytes.set(part, (at += part.length) - part.length);
    text = new TextDecoder().decode(bytes);
  }
  if (text.trim() === "") return {};
  // Only JSON: a form or a plain-text post from another site cannot be made to look like one.
  if (type !== "application/json") {
    return fail(415, "bad_request", "the request body must be application/json");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail(400, "bad_request", "the request body is not JSON");
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    return fail(400, "bad_request", "the request body must be a JSON object");
  }
  const unknown = Object.keys(value).find((k) => !allowed.includes(k));
  if (unknown !== undefined) {
    return fail(
      400,
      "bad_request",
      `${JSON.stringify(unknown).slice(0, 80)}: unknown field (expected ${allowed.join(", ")})`,
    );
  }
  return value as Record<string, unknown>;
}

/** Builds the site around the API handler `api`. */
export function createSite(api: Handler, options: SiteOptions): Handler {
  const { sessions, tokens } = options;
  const load = options.assets;
  let loaded: Assets | undefined;
  const pages = async (): Promise<Assets> =>
    loaded ??= typeof load === "function" ? await load() : load;
  const setCookie = (session: Session) => sessionCookie(options.cookie, session.id);

  /** The access level a token gives: the admin token, the read-only one, or a login token. */
  const tokenAccess = (token: string, oneTime: boolean): Access | undefined => {
    if (tokens && sameSecret(token, tokens.admin)) return "admin";
    if (tokens && sameSecret(token, tokens.readOnly)) return "read";
    return oneTime ? sessions.redeemLogin(token) : undefined;
  };

  const bearer = (request: Request): Access | undefined | "none" => {
    const header = request.headers.get("authorization");
    if (header === null) return "none";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    return match ? tokenAccess(match[1], false) : undefined;
  };

  const sessionOf = (request: Request): Session | undefined => {
    const id = readCookie(request, options.cookie);
    return id ? sessions.get(id) : undefined;
  };

  /** Why a change made with the session cookie is refused: another site, or no CSRF token. */
  const csrfRefusal = (request: Request, session: Session): Response | undefined => {
    const site = request.headers.get("sec-fetch-site");
    const csrf = request.headers.get(CSRF_HEADER);
    if ((site === null || site === "same-origin") && csrf && sameSecret(csrf, session.csrf)) {
      return undefined;
    }
    return fail(
      403,
      "forbidden",
      `a change made with the session cookie needs its ${CSRF_HEADER} header (GET /ui/session)`,
    );
  };

  /**
   * The caller of a request, the response that refuses it, or `api` when the API decides (a bearer
   * token, or no credentials at all: it answers as it always has).
   */
  const callerOf = (request: Request): Caller | Response | "api" => {
    if (!tokens) return { access: "admin" };
    const viaToken = bearer(request);
    if (viaToken === undefined) return "api";
    if (viaToken !== "none") return { access: viaToken };
    if (readCookie(request, options.cookie) === undefined) return "api";
    const session = sessionOf(request);
    if (!session) {
      return fail(
        401,
        "unauthorized",
        "the session has ended; log in again (orch ui prints a URL)",
      );
    }
    if (!READING.has(request.method)) {
      const refused = csrfRefusal(request, session);
      if (refused) return refused;
      if (session.access !== "admin") {
        return fail(403, "forbidden", "this session is read-only; it cannot change anything");
      }
    }
    return { access: session.access, session };
  };

  /** `POST /v1/ui`: a one-time login for the dashboard, its listener started if need be. */
  const openUi = async (request: Request, caller: Caller): Promise<Response> => {
    if (request.method !== "POST") return fail(405, "method_not_allowed", "use POST /v1/ui");
    const body = await smallJson(request, ["access", "listen"]);
    if (body instanceof Response) return body;
    const access = body.access ?? caller.access;
    if (access !== "admin" && access !== "read") {
      return fail(400, "bad_request", 'access: "admin" or "read" is expected');
    }
    if (access === "admin" && caller.access !== "admin") {
      return fail(403, "forbidden", "a read-only caller may only open read-only sessions");
    }
    if (body.listen !== undefined && typeof body.listen !== "string") {
      return fail(400, "bad_request", "listen: a HOST:PORT string is expected");
    }
    let listen: string | undefined;
    if (!options.ui) {
      if (!options.openUi) {
        return fail(409, "conflict", "this orch cannot serve the dashboard");
      }
      try {
        ({ listen } = await options.openUi({ listen: body.listen as string | undefined }));
      } catch (error) {
        if (error instanceof UsageError) return fail(400, "bad_request", error.message);
        if (error instanceof OrchError) return fail(409, "conflict", error.message);
        throw error;
      }
    }
    const login = sessions.mintLogin(access);
    return json({
      path: `/ui/login?token=${encodeURIComponent(login.token)}`,
      ...(listen ? { listen } : {}),
      access,
      expiresAt: login.expiresAt,
    });
  };

  const login = async (request: Request, url: URL): Promise<Response> => {
    if (request.method === "GET") {
      const token = url.searchParams.get("token");
      if (!token) return page(200, (await pages()).html, HTML, "no-store");
      const access = tokenAccess(token, true);
      if (!access) {
        return notice(
          401,
          "This login link does not work",
          "It was used already, it has expired, or orch was restarted. Run orch ui again for a " +
            "new one, or paste a token on the dashboard's login page.",
        );
      }
      const session = sessions.begin(access);
      // The token leaves the address bar: the browser goes on to the page without it.
      return redirect("/ui/", 303, { "set-cookie": setCookie(session) });
    }
    if (request.method !== "POST") {
      return fail(405, "method_not_allowed", "use GET or POST /ui/login");
    }
    const site = request.headers.get("sec-fetch-site");
    if (site !== null && site !== "same-origin") {
      return fail(403, "forbidden", "a login must come from orch's own page");
    }
    const body = await smallJson(request, ["token"]);
    if (body instanceof Response) return body;
    if (typeof body.token !== "string" || body.token === "") {
      return fail(400, "bad_request", "token: a string is expected");
    }
    const access = tokenAccess(body.token.trim(), true);
    if (!access) return fail(401, "unauthorized", "that token is not valid here");
    const session = sessions.begin(access);
    return json({ access, csrf: session.csrf, expiresAt: sessions.expiresAt(session) }, 200, {
      "set-cookie": setCookie(session),
    });
  };

  const ui = async (request: Request, url: URL, path: string): Promise<Response> => {
    const reading = READING.has(request.method);
    if (path === "/ui") return redirect("/ui/", 301);
    if (path === "/ui/login") return await login(request, url);
    if (path === "/ui/session") {
      if (!reading) return fail(405, "method_not_allowed", "use GET /ui/session");
      const session = sessionOf(request);
      if (!session) return fail(401, "unauthorized", "no session; log in");
      return json({
        access: session.access,
        csrf: session.csrf,
        expiresAt: sessions.expiresAt(session),
      });
    }
    if (path === "/ui/logout") {
      if (request.method !== "POST") return fail(405, "method_not_allowed", "use POST /ui/logout");
      const session = sessionOf(request);
      const refused = session && csrfRefusal(request, session);
      if (refused) return refused;
      if (session) sessions.end(session.id);
      return new Response(null, {
        status: 204,
        headers: { ...securityHeaders(), "set-cookie": clearedCookie(options.cookie) },
      });
    }
    if (!reading) return fail(405, "method_not_allowed", `use GET ${path}`);
    const assets = await pages();
    if (path === "/ui/" || path === "/ui/index.html") {
      return page(200, assets.html, HTML, "no-store");
    }
    const paths = assetPaths(assets.hash);
    const immutable = "public, max-age=31536000, immutable";
    if (path === paths.js) return page(200, assets.js, "text/javascript; charset=utf-8", immutable);
    if (path === paths.css) return page(200, assets.css, "text/css; charset=utf-8", immutable);
    if (path === paths.icon) return page(200, assets.icon, "image/svg+xml", immutable);
    return fail(404, "not_found", `no page ${path.slice(0, 200)}`);
  };

  return async (request: Request): Promise<Response> => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return fail(400, "bad_request", "the request URL is malformed");
    }
    const path = url.pathname;
    if (options.ui && (path === "/ui" || path.startsWith("/ui/"))) {
      return await ui(request, url, path);
    }
    if (options.ui && path === "/" && READING.has(request.method)) {
      return redirect("/ui/", 303);
    }
    const caller = callerOf(request);
    if (caller === "api") return await api(request);
    if (caller instanceof Response) {
      await request.body?.cancel().catch(() => {});
      return caller;
    }
    if (path.replace(/\/+$/, "") === "/v1/ui") return await openUi(request, caller);
    if (!caller.session || !tokens) return await api(request);
    // The API takes the session as the token of its level.
    return await api(
      withBearer(request, caller.access === "admin" ? tokens.admin : tokens.readOnly),
    );
  };
}
