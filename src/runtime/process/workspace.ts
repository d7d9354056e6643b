/**
 * Run directories for flow tasks, under the project's `.orch/flows/work/`: the JSON payload every
 * task of the run reads (`ORCH_PAYLOAD_FILE`) and the outputs files its attempts write
 * (`ORCH_OUTPUTS`, `key=value` lines). A container task gets the directory bind-mounted at the same
 * path. One directory per run, made once: an attempt costs a read and a remove of its outputs.
 *
 * @module
 */

/** Bound on an outputs file read back. */
const MAX_OUTPUTS_BYTES = 1 << 20;

/** Makes and removes run directories under `root`. */
export class TaskWorkspace {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  async open(run: number, payload: unknown): Promise<{ dir: string; payload: string }> {
    const dir = `${this.root}/${run}`;
    await Deno.mkdir(dir, { recursive: true });
    // A task running as another user must be able to write its outputs here.
    await Deno.chmod(dir, 0o1777).catch(() => {});
    const file = `${dir}/payload.json`;
    await Deno.writeTextFile(file, JSON.stringify(payload ?? {}), { mode: 0o644 });
    return { dir, payload: file };
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
  }
}
