/**
 * How the loader looks at the file system besides reading files: a port, so that the config
 * cache can record what a load looked at.
 *
 * @module
 */

/** How the loader looks at the file system besides reading files (the config cache records it). */
export interface LoaderFs {
  stat(path: string): Promise<Deno.FileInfo>;
  readDir(path: string): Promise<Deno.DirEntry[]>;
}

/** The real file system. */
export const REAL_FS: LoaderFs = {
  stat: (path) => Deno.stat(path),
  readDir: async (path) => {
    const entries: Deno.DirEntry[] = [];
    for await (const entry of Deno.readDir(path)) entries.push(entry);
    return entries;
  },
};
