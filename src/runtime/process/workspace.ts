/**
 * Per-attempt directories for flow tasks, under the project's `.orch/flows/work/`: the JSON
 * payload the task reads (`ORCH_PAYLOAD_FILE`) and the outputs file it writes (`ORCH_OUTPUTS`,
 * `key=value` lines). A container task gets the directory bind-mounted at the same path.
 *
 * @module
 */

/** Which attempt a directory is for. */
export interface AttemptRef {
  readonly flow: string;
  readonly run: number;
  readonly task: string;
  readonly attempt: number;
}

/** Bound on an outputs file read back. */
const MAX_OUTPUTS_BYTES = 1 << 20;

/** Makes and removes attempt directories under `root`. */
export class TaskWorkspace {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  async prepare(
    ref: AttemptRef,
    payload: unknown,
  ): Promise<{ dir: string; payload: string; outputs: string }> {
    const name = `${ref.run}-${encodeURIComponent(ref.task)}-${ref.attempt}`;
    const dir = `${this.root}/${name}`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const payloadFile = `${dir}/payload.json`;
    const outputs = `${dir}/outputs`;
    await Deno.writeTextFile(payloadFile, JSON.stringify(payload ?? {}));
    await Deno.writeTextFile(outputs, "");
    // A task running as another user must be able to write its outputs.
    await Deno.chmod(dir, 0o777).catch(() => {});
    await Deno.chmod(outputs, 0o666).catch(() => {});
    return { dir, payload: payloadFile, outputs };
  }

  async finish(dir: string, outputs: string): Promise<string> {
    let text = "";
    try {
      using file = await Deno.open(outputs);
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
      // no outputs file: nothing handed on
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    return text;
  }
}
