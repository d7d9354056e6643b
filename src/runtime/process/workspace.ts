/**
 * Run directories for flow tasks, under the project's `.orch/flows/work/`: the JSON payload every
 * task of the run reads (`ORCH_PAYLOAD_FILE`) and the outputs files its attempts write
 * (`ORCH_OUTPUTS`, `key=value` lines). A container task gets the directory bind-mounted at the same
 * path. One directory per run, made once: an attempt costs a read and a remove of its outputs.
 *
 * `.orch/` is private to orch's user (0700): a task process that runs as another user (`user:
 * nobody`) gets a directory of its own instead, in the temporary directory, owned by that user and
 * mode 0700, with its own copy of the payload (0600); it is removed with the run's (leftovers of an
 * orch that was killed are found by their name and removed when that run ends).
 *
 * @module
 */
import { OrchError } from "../../domain/mod.ts";
import { resolveIds } from "./users.ts";

/** Bound on an outputs file read back. */
const MAX_OUTPUTS_BYTES = 1 << 20;

/** Who a task runs as. */
export interface WorkspaceOwner {
  readonly user: string | undefined;
  readonly group: string | undefined;
}

/** Options of {@link TaskWorkspace}. */
export interface TaskWorkspaceOptions {
  /** Where directories of tasks running as other users go (default `$TMPDIR`, else `/tmp`). */
  readonly tmp?: string;
}

/** A short, stable tag of a path, so that two projects' directories never share a name. */
function tagOf(path: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) h = Math.imul(h ^ path.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** Makes and removes run directories under `root`. */
export class TaskWorkspace {
  readonly root: string;
  readonly #tmp: string;
  readonly #prefix: string;

  constructor(root: string, options: TaskWorkspaceOptions = {}) {
    this.root = root;
    this.#tmp = (options.tmp ?? (Deno.env.get("TMPDIR") || "/tmp")).replace(/\/+$/, "") || "/";
    this.#prefix = `orch-run-${tagOf(root)}-`;
  }

  async open(
    run: number,
    payload: unknown,
    owner?: WorkspaceOwner,
  ): Promise<{ dir: string; payload: string }> {
    const ids = owner ? resolveIds(owner.user, owner.group) : undefined;
    if (ids && ids.uid !== Deno.uid()) return await this.#own(run, payload, ids);
    const dir = `${this.root}/${run}`;
    await Deno.mkdir(dir, { recursive: true });
    // A container's non-root user must be able to write its outputs here (.orch/ itself is 0700).
    await Deno.chmod(dir, 0o1777).catch(() => {});
    const file = `${dir}/payload.json`;
    await Deno.writeTextFile(file, JSON.stringify(payload ?? {}), { mode: 0o644 });
    return { dir, payload: file };
  }

  /** A directory of the run's that only `ids` (and root) can reach, with the payload in it. */
  async #own(
    run: number,
    payload: unknown,
    ids: { uid: number; gid: number },
  ): Promise<{ dir: string; payload: string }> {
    const dir = await Deno.makeTempDir({ dir: this.#tmp, prefix: `${this.#prefix}${run}-` });
    try {
      const file = `${dir}/payload.json`;
      await Deno.writeTextFile(file, JSON.stringify(payload ?? {}), { mode: 0o600 });
      await Deno.chown(file, ids.uid, ids.gid);
      await Deno.chmod(dir, 0o700);
      await Deno.chown(dir, ids.uid, ids.gid);
      return { dir, payload: file };
    } catch (error) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw new OrchError(
        `cannot give run ${run}'s directory ${dir} to uid ${ids.uid} (gid ${ids.gid}): ` +
          (error as Error).message,
      );
    }
  }

  async outputs(path: string): Promise<string> {
    let text = "";
    try {
      using file = await Deno.open(path);
      const buffer = new Uint8Array(MAX_OUTPUTS_BYTES);
      let length = 0;
      for (;;) {
        const n = await file.read(buffer.subarray(length));
        if (n === null || n === 0) break;
        length += n;
        if (length === buffer.length) break;
      }
      text = new TextDecoder().decode(buffer.subarray(0, length));
    } catch {
      return ""; // the task wrote no outputs
    }
    await Deno.remove(path).catch(() => {});
    return text;
  }

  async remove(run: number): Promise<void> {
    await Deno.remove(`${this.root}/${run}`, { recursive: true }).catch(() => {});
    const mine = `${this.#prefix}${run}-`;
    try {
      for await (const entry of Deno.readDir(this.#tmp)) {
        if (!entry.isDirectory || !entry.name.startsWith(mine)) continue;
        await Deno.remove(`${this.#tmp}/${entry.name}`, { recursive: true }).catch(() => {});
      }
    } catch {
      // the temporary directory cannot be listed: nothing of ours is there
    }
  }
}
