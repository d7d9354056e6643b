/**
 * The dashboard's assets, loaded with the first request for a page: a running orch holds their
 * 120 KB (and the generated module's source) only once someone opens the dashboard.
 *
 * @module
 */
import type { Assets } from "./assets.ts";

let loading: Promise<Assets> | undefined;

/** The built assets (src/web/assets.gen.ts), loaded once. */
export function loadAssets(): Promise<Assets> {
  return loading ??= import("./assets.gen.ts").then((m) => m.ASSETS);
}
