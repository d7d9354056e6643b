/**
 * Keeps service process groups from outliving orch, even when orch is SIGKILLed.
 *
 * A small `sh` helper in its own session reads `+PGID` and `-PGID` lines on stdin. When orch dies, for
 * whatever reason, the kernel closes the pipe; the helper reads end-of-file and SIGKILLs every group
 * still listed (or the process itself when it has not made its group yet: `setsid` runs just after
 * the spawn returns). Direct children are also wrapped with `setpriv --pdeathsig SIGKILL` where it exists.
 *
 * @module
 */

const HELPER = `trap '' INT TERM HUP QUIT PIPE
g=" "
while IFS= read -r l; do
  case "$l" in
    +*) g="$g\${l#+} " ;;
    -*) p=\${l#-}; case "$g" in *" $p "*) g="\${g%%" $p "*} \${g#*" $p "}" ;; esac ;;
  esac
done
for p in $g; do kill -9 -"$p" 2>/dev/null || kill -9 "$p" 2>/dev/null; done
`;

const encoder = new TextEncoder();

/** The helper process and the groups it guards. */
export class GroupGuard {
  #child: Deno.ChildProcess | undefined;
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #pending = Promise.resolve();

  #ensure(): WritableStreamDefaultWriter<Uint8Array> | undefined {
    if (this.#writer) return this.#writer;
    try {
      this.#child = new Deno.Command("sh", {
        args: ["-c", HELPER],
        stdin: "piped",
        stdout: "null",
        stderr: "null",
        detached: true,
      }).spawn();
      this.#child.unref();
      this.#writer = this.#child.stdin.getWriter();
    } catch {
      this.#writer = undefined;
    }
    return this.#writer;
  }

  #send(line: string): void {
    const writer = this.#ensure();
    if (!writer) return;
    this.#pending = this.#pending.then(() => writer.write(encoder.encode(line))).catch(() => {});
  }

  /** Guards a process group. */
  add(pgid: number): void {
    this.#send(`+${pgid}\n`);
  }

  /** Stops guarding a group that has ended. */
  remove(pgid: number): void {
    this.#send(`-${pgid}\n`);
  }

  /** Ends the helper (it kills any group still listed) and waits for it. */
  async close(): Promise<void> {
    if (!this.#writer) return;
    await this.#pending;
    await this.#writer.close().catch(() => {});
    this.#child?.ref();
    await this.#child?.status;
    this.#writer = undefined;
    this.#child = undefined;
  }
}
