/**
 * A small tmpfs for tests of a full disk: mounted on a directory (as root), filled to the brim
 * with a filler file, then freed. Where mounting is not permitted the tests are skipped, saying
 * why.
 *
 * @module
 */

/** A mounted tmpfs; unmounted on dispose. */
export interface Tmpfs extends AsyncDisposable {
  readonly path: string;
  /** Fills it, leaving about `leave` bytes free (rounded to pages). */
  fill(leave?: number): Promise<void>;
  /** Removes the filler. */
  free(): Promise<void>;
}

const run = (cmd: string, args: string[]) =>
  new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();

/** Mounts a tmpfs of `size` (e.g. `"256k"`) on `path`, or returns why it cannot. */
export async function mountTmpfs(path: string, size: string): Promise<Tmpfs | string> {
  await Deno.mkdir(path, { recursive: true });
  let out: Deno.CommandOutput;
  try {
    out = await run("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", path]);
  } catch (error) {
    return `mount could not run: ${(error as Error).message}`;
  }
  if (!out.success) {
    return `mount -t tmpfs was not permitted: ${new TextDecoder().decode(out.stderr).trim()}`;
  }
  const filler = `${path}/.filler`;
  const spare = `${path}/.spare`;
  return {
    path,
    async fill(leave = 0) {
      if (leave > 0) await Deno.writeFile(spare, new Uint8Array(leave));
      const chunk = new Uint8Array(4096);
      const file = await Deno.open(filler, { write: true, create: true, append: true });
      try {
        for (;;) await file.write(chunk);
      } catch {
        // full
      } finally {
        file.close();
      }
      if (leave > 0) await Deno.remove(spare);
    },
    async free() {
      await Deno.remove(filler).catch(() => {});
    },
    async [Symbol.asyncDispose]() {
      await run("umount", ["-l", path]);
    },
  };
}
