/**
 * The dashboard's HTTP headers: the Content-Security-Policy (orch's own assets only, no inline
 * script or style, connections to orch only), the other protective headers, and the session
 * cookie (HttpOnly, SameSite=Strict), read and written.
 *
 * @module
 */

/**
 * The policy of every dashboard page: scripts, styles and images only from orch itself (the
 * hashed files it serves), no inline script or style, requests only back to orch, no frames, no
 * plugins, forms only to orch.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

/** Headers on every response of the dashboard. */
export function securityHeaders(): Record<string, string> {
  return {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    // A login URL's token must not travel on in a Referer.
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
  };
}

/** The value of one cookie of a request, or undefined (the first of that name wins). */
export function readCookie(request: Request, name: string): string | undefined {
  const header = request.headers.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const at = part.indexOf("=");
    if (at < 0) continue;
    if (part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** A `Set-Cookie` value for the session: HttpOnly, SameSite=Strict, for the whole origin. */
export function sessionCookie(name: string, value: string, options: { secure?: boolean } = {}) {
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Strict${options.secure ? "; Secure" : ""}`;
}

/** A `Set-Cookie` value that removes the session cookie. */
export function clearedCookie(name: string, options: { secure?: boolean } = {}): string {
  return `${name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${
    options.secure ? "; Secure" : ""
  }`;
}

/** A request's headers without its cookies, with `Authorization: Bearer token`. */
export function withBearer(request: Request, token: string): Request {
  const headers = new Headers(request.headers);
  headers.delete("cookie");
  headers.set("authorization", `Bearer ${token}`);
  return new Request(request, { headers });
}
