/**
 * `orch up` on a full disk (a 64 KiB tmpfs holding the project): one clear line, no stack trace,
 * no half-written state file; once there is room again, it starts.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { runOrch as orch } from "../../src/testing/cli.ts";
import { gone } from "../../src/testing/project.ts";

function mount(dir: string): boolean {
  const out = new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir],
    stdout: "null",
    stderr: "null",
  }).outputSync();
  return out.success;
}

function umount(dir: string, args: string[] = []): boolean {
  return new Deno.Command("umount", { args: [...args, dir], stdout: "null", stderr: "null" })
    .outputSync().success;
}

/** Unmounts once nothing uses the file system any more (a process may take a moment to exit). */
async function unmount(dir: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!umount(dir)) {
    if (Date.now() > deadline) {
      umount(dir, ["-l"]);
      throw new Error(`${dir} was still in use 10s after orch down`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const probe = Deno.makeTempDirSync({ prefix: "orch-mount-" });
const canMount = (() => {
  try {
    return mount(probe);
  } catch {
    return false;
  } finally {
    umount(probe);
    Deno.removeSync(probe, { recursive: true });
  }
})();

/** Fills the file system under `dir`; returns the filler's path. */
async function fill(dir: string): Promise<string> {
  const path = `${dir}/filler`;
  const file = await Deno.open(path, { write: true, create: true });
  const block = new Uint8Array(4096);
  try {
    for (;;) await file.write(block);
  } catch (error) {
    if (!/No space left/.test(String(error))) throw error;
  } finally {
    file.close();
  }
  return path;
}

Deno.test({
  name: canMount
    ? "orch up on a full disk fails with one clear line and leaves no state file"
    : "orch up on a full disk (skipped: mount -t tmpfs is not permitted here)",
  ignore: !canMount,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "orch-full-" });
    assert(mount(dir), `mount a tmpfs on ${dir}`);
    try {
      await Deno.writeTextFile(
        `${dir}/stack.yaml`,
        `services:\n  a: { command: "exec sleep 30" }\n`,
      );
      const filler = await fill(dir);

      const up = await orch(dir, ["up", "--no-tui"], {}, { timeoutMs: 30_000 });
      assertEquals(up.code, 1, up.stderr);
      assertMatch(
        up.stderr,
        /^orch: cannot write \S+\/\.orch\/orch\.json: No space left on device \(os error 28\)\n$/,
      );
      await gone(`${dir}/.orch/orch.json`, 0);
      assertEquals([...Deno.readDirSync(`${dir}/.orch`)].filter((e) => e.isFile), []);

      const detached = await orch(dir, ["up", "-d"], {}, { timeoutMs: 30_000 });
      assertEquals(detached.code, 1, detached.stderr);
      assertMatch(
        detached.stderr,
        /exited \(1\) before it started, and \S+ is empty \(is the disk full\?\)/,
      );
      assert(!/\.ts:\d+/.test(up.stderr + detached.stderr), "no stack trace");
      await gone(`${dir}/.orch/orch.json`, 0);

      // Room again: it starts.
      await Deno.remove(filler);
      const again = await orch(dir, ["up", "-d", "--wait"], {}, { timeoutMs: 30_000 });
      assertEquals(again.code, 0, again.stderr);
      assertEquals((await orch(dir, ["down"])).code, 0);
    } finally {
      await unmount(dir);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
