/**
 * The web dashboard served by orch: the site in front of the control API (its page and assets,
 * logins and sessions, CSRF, the security headers), and the page's assets, part of the module
 * graph.
 *
 * @module
 */
export { ASSETS } from "./assets.gen.ts";
export { assetPaths, type Assets } from "./assets.ts";
export { type Access, randomToken, type Session, Sessions } from "./sessions.ts";
export { createSite, CSRF_HEADER, type SiteOptions, type UiListener } from "./site.ts";
