/**
 * The web dashboard served by orch: the site in front of the control API (its page and assets,
 * logins and sessions, CSRF, the security headers), and the page's assets, part of the module
 * graph (the bundle and a compiled binary carry them) and loaded with the first page asked for.
 *
 * @module
 */
export { assetPaths, type Assets } from "./assets.ts";
export { loadAssets } from "./load_assets.ts";
export { type Access, randomToken, type Session, Sessions } from "./sessions.ts";
export { createSite, CSRF_HEADER, type SiteOptions, type UiListener } from "./site.ts";
