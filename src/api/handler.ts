/**
 * The control API as a plain `Request -> Response` function over the control interface:
 * authorization, then the route table (`routes.ts`), then errors answered by their kind. It knows
 * nothing of sockets; the CLI serves it on a unix socket and, optionally, on TCP with tokens.
 *
 * @module
 */
import type { Control } from "../control/mod.ts";
import { UsageError } from "../domain/mod.ts";
import type { EventCounters } from "./metrics.ts";
import { fail, fromError } from "./respond.ts";
import { normalPath } from "./router.ts";
import { ROUTER } from "./routes.ts";

/** Bearer tokens for a TCP listener. A unix socket is served without them (its mode protects it). */
export interface Tokens {
  /** May call everything. */
  readonly admin: string;
  /** May call only what changes nothing. */
  readonly readOnly?: string;
}

/** Options of the handler. */
export interface HandlerOptions {
  /** Required on TCP; absent on the unix socket. */
  readonly tokens?: Tokens;
  readonly now?: () => number;
  /** Interval of SSE keep-alive comments. */
  readonly keepAliveMs?: number;
  /** Gets errors that are bugs (answered with a generic 500), for orch's own log. */
  readonly onInternalError?: (error: unknown) => void;
  /** Counts from the event bus, for `/metrics`. */
  readonly counters?: EventCounters;
}

/** Constant-time comparison of two tokens. */
function sameToken(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

type Access = "admin" | "read" | undefined;

function accessOf(request: Request, tokens: Tokens | undefined): Access {
  if (!tokens) return "admin";
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) return undefined;
  if (sameToken(match[1], tokens.admin)) return "admin";
  if (tokens.readOnly && sameToken(match[1], tokens.readOnly)) return "read";
  return undefined;
}

const UNAUTHORIZED = JSON.stringify({
  error: { kind: "unauthorized", message: "a valid bearer token is required" },
}) + "\n";

/** Builds the handler for one running stack, over its control. */
export function createHandler(
  control: Control,
  options: HandlerOptions = {},
): (request: Request) => Promise<Response> {
  const now = options.now ?? Date.now;
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const report = options.onInternalError ?? (() => {});

  const route = async (request: Request, url: URL, access: Access): Promise<Response> => {
    const path = normalPath(url.pathname);
    const method = request.method;
    if (method !== "GET" && method !== "HEAD" && access !== "admin") {
      return fail("forbidden", "this token is read-only; it cannot change anything");
    }
    const matched = ROUTER.match(method, path);
    if (matched.found === "nothing") {
      return fail("not_found", `no route ${method} ${path}; see GET /v1/openapi.json`);
    }
    if (matched.found === "other-method") {
      const response = fail("method_not_allowed", `use ${matched.allowed.join(" or ")} ${path}`);
      response.headers.set("allow", matched.allowed.join(", "));
      return response;
    }
    return await matched.route.handle({
      control,
      request,
      url,
      params: matched.params,
      now,
      keepAliveMs,
      counters: options.counters,
    });
  };

  return async (request: Request): Promise<Response> => {
    const access = accessOf(request, options.tokens);
    if (!access) {
      await request.body?.cancel().catch(() => {});
      return new Response(UNAUTHORIZED, {
        status: 401,
        headers: {
          "content-type": "application/json",
          "www-authenticate": 'Bearer realm="orch"',
        },
      });
    }
    try {
      let url: URL;
      try {
        url = new URL(request.url);
      } catch {
        throw new UsageError("the request URL is malformed");
      }
      return await route(request, url, access);
    } catch (error) {
      return fromError(error, report);
    }
  };
}
