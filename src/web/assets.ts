/**
 * The dashboard's built assets, as the generated module `assets.gen.ts` holds them (imported, so
 * that the bundle and a compiled binary carry them; nothing is read from disk at run time), and the
 * paths they are served at: the script and the style sheet under their content hash, so that a
 * browser may keep them for good.
 *
 * @module
 */

/** The page, its script, its style sheet and its icon, with the hash of their content. */
export interface Assets {
  /** Hex SHA-256 (its first 16 digits) of the script, the style sheet and the icon. */
  readonly hash: string;
  /** The page, which loads the two files below by their hashed paths. */
  readonly html: string;
  readonly js: string;
  readonly css: string;
  /** An SVG icon. */
  readonly icon: string;
}

/** Where each asset is served. */
export function assetPaths(hash: string): { js: string; css: string; icon: string } {
  return { js: `/ui/app-${hash}.js`, css: `/ui/app-${hash}.css`, icon: `/ui/icon-${hash}.svg` };
}
