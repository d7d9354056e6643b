/**
 * The project directory of a load (where `.orch/` lives): the directory of the first file given,
 * of a directory its parent, and with no file the working directory (the default file is found
 * there). A pure function of the request, so that `up` knows it before the load answers.
 *
 * @module
 */

/** The directory of a path (of a directory, its parent): `/` at the top. */
export function dirname(path: string): string {
  const i = path.replace(/\/+$/, "").lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** The project directory of a load of `files` (none: the default file) from `cwd`. */
export function projectDirOf(cwd: string, files: readonly string[]): string {
  const base = cwd.replace(/\/+$/, "") || "/";
  const first = files[0];
  if (first === undefined) return base;
  return dirname(first.startsWith("/") ? first : `${base === "/" ? "" : base}/${first}`);
}
