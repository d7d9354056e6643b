/**
 * The generations of a persisted log on disk: `orch.ndjson` and the rotated `orch.ndjson.N`,
 * found by listing the directory (a stopped stack's rotation settings are not known).
 *
 * @module
 */

/** The files of a persisted log, oldest first: `path.N` ... `path.1`, then `path`. */
export async function persistedFiles(path: string): Promise<string[]> {
  const at = path.lastIndexOf("/");
  const dir = at < 0 ? "." : path.slice(0, at) || "/";
  const base = path.slice(at + 1);
  const generations: number[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !entry.name.startsWith(`${base}.`)) continue;
      const n = entry.name.slice(base.length + 1);
      if (/^[1-9]\d*$/.test(n)) generations.push(Number(n));
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  generations.sort((a, b) => b - a);
  const files = generations.map((n) => `${path}.${n}`);
  try {
    await Deno.stat(path);
    files.push(path);
  } catch {
    // only rotated generations
  }
  return files;
}
