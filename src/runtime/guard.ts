/**
 * The guard: a small `sh` helper, in its own session, that makes sure nothing an instance started
 * outlives orch, even when orch is SIGKILLed.
 *
 * It reads what to guard on its stdin: units (`+KEY p<pgid> c<cgroup dir> d<container id>...`,
 * `-KEY` once gone), this run's marker and the Docker endpoint. When orch dies, for whatever reason,
 * the kernel closes the pipe; the helper reads end-of-file and then, in one go: removes the
 * containers (`DELETE /containers/ID?force=1` through `curl` on the Engine socket), kills every
 * cgroup (`cgroup.kill`, or freeze / SIGKILL / thaw until empty on v1), every process group, and
 * every process whose environment carries this run's `ORCH_UNIT` marker, and removes the cgroups
 * (and the project's cgroup directories, once empty).
 *
 * Why sh and curl rather than a watchdog written in TypeScript: the helper costs about 1 MiB while
 * orch lives (a second Deno would cost 30 to 40 MiB) and needs nothing orch has not already checked
 * for; curl runs only at the end. Without curl, containers are left to the next `up` or `down`, and
 * orch says so.
 *
 * orch watches the helper: if it dies (killed by someone), a new one is started at once with the
 * current set.
 *
 * @module
 */

const HELPER = `trap '' INT TERM HUP QUIT PIPE
set -f
keys=" "; run=""; dsock=""; dtcp=""; rd=""
line() {
  case "$l" in
    "= run "*) run=\${l#= run } ;;
    "= docker unix "*) dsock=\${l#= docker unix } ;;
    "= docker tcp "*) dtcp=\${l#= docker tcp } ;;
    "= rmdir "*)
      case "$rd " in *" \${l#= rmdir } "*) ;; *) rd="$rd \${l#= rmdir }" ;; esac ;;
    +*)
      k=\${l%% *}; k=\${k#+}
      case "$k" in ""|*[!0-9]*) return ;; esac
      eval "u$k=\\\${l#* }"
      case "$keys" in *" $k "*) ;; *) keys="$keys$k " ;; esac ;;
    -*)
      k=\${l#-}
      case "$k" in ""|*[!0-9]*) return ;; esac
      unset "u$k"
      case "$keys" in *" $k "*) keys="\${keys%%" $k "*} \${keys#*" $k "}" ;; esac ;;
  esac
}
# What was guarded when this helper started came with it (a SIGKILL of orch before its first write
# must not leave those units unguarded); then the changes come on stdin.
while IFS= read -r l; do line; done <<ORCH_GUARD_EOF
$ORCH_GUARD_INIT
ORCH_GUARD_EOF
while IFS= read -r l; do line; done
pg=""; cg=""; dk=""
for k in $keys; do
  eval "v=\\\${u$k}"
  for t in $v; do
    case "$t" in p*) pg="$pg \${t#p}" ;; c*) cg="$cg \${t#c}" ;; d*) dk="$dk \${t#d}" ;; esac
  done
done
for id in $dk; do
  if [ -n "$dsock" ]; then
    curl -s -o /dev/null -m 30 --unix-socket "$dsock" -X DELETE "http://docker/containers/$id?force=1&v=1" &
  elif [ -n "$dtcp" ]; then
    curl -s -o /dev/null -m 30 -X DELETE "http://$dtcp/containers/$id?force=1&v=1" &
  fi
done
for d in $cg; do [ -e "$d/cgroup.kill" ] && echo 1 >"$d/cgroup.kill"; done 2>/dev/null
for d in $cg; do
  [ -e "$d/cgroup.kill" ] && continue
  n=0
  while [ $n -lt 100 ]; do
    p=$(cat $(find "$d" -name cgroup.procs 2>/dev/null) 2>/dev/null)
    [ -z "$p" ] && break
    for f in $(find "$d" -name freezer.state 2>/dev/null); do echo FROZEN >"$f"; done 2>/dev/null
    kill -9 $p 2>/dev/null
    for f in $(find "$d" -name freezer.state 2>/dev/null); do echo THAWED >"$f"; done 2>/dev/null
    n=$((n+1))
  done
done
for p in $pg; do kill -9 -"$p" 2>/dev/null || kill -9 "$p" 2>/dev/null; done
if [ -n "$run" ]; then
  n=0
  while [ $n -lt 20 ]; do
    set +f
    f=$(grep -lsz "^ORCH_UNIT=$run/" /proc/[0-9]*/environ 2>/dev/null)
    set -f
    [ -z "$f" ] && break
    for x in $f; do x=\${x#/proc/}; kill -9 "\${x%/environ}" 2>/dev/null; done
    n=$((n+1))
  done
fi
for d in $cg; do
  n=0
  while [ -d "$d" ] && [ $n -lt 100 ]; do
    for x in $(find "$d" -depth -type d 2>/dev/null); do rmdir "$x" 2>/dev/null; done
    [ -d "$d" ] && sleep 0.02
    n=$((n+1))
  done
done
# One rmdir for them all (a child before its parent, as listed): rmdir is not a shell builtin.
[ -n "$rd" ] && rmdir $rd 2>/dev/null
wait
`;

const encoder = new TextEncoder();

/** The most state handed to a new helper in its environment (the kernel takes 128 KiB a string). */
const INIT_ENV_MAX = 96 * 1024;

/** What one unit holds: any of a process group, cgroup directories, a container. */
export interface GuardEntry {
  readonly pgid?: number;
  readonly cgroups?: readonly string[];
  readonly container?: string;
}

/** Where the guard reaches the Docker engine. */
export type GuardDocker = { readonly unix: string } | { readonly tcp: string };

/** Options of the guard. */
export interface GuardOptions {
  /** This run's marker prefix: every process with `ORCH_UNIT=<run>/...` dies with orch. */
  readonly run: string;
  /** Told when the helper died and was replaced, or cannot be started. */
  readonly onNote?: (text: string) => void;
}

function entryLine(key: number, entry: GuardEntry): string {
  const tokens = [
    ...(entry.pgid !== undefined ? [`p${entry.pgid}`] : []),
    ...(entry.cgroups ?? []).filter((d) => /^\/[^\s]*$/.test(d)).map((d) => `c${d}`),
    ...(entry.container && /^[0-9a-f]+$/i.test(entry.container) ? [`d${entry.container}`] : []),
  ];
  return `+${key} ${tokens.join(" ")}\n`;
}

/** The helper process and what it guards. */
export class Guard {
  readonly #run: string;
  readonly #onNote: (text: string) => void;
  readonly #entries = new Map<number, GuardEntry>();
  #docker: GuardDocker | undefined;
  readonly #rmdirs = new Set<string>();
  #nextKey = 1;
  #child: Deno.ChildProcess | undefined;
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #buffer = "";
  #flushing: Promise<void> = Promise.resolve();
  #scheduled = false;
  #closed = false;
  #lastStart = 0;
  #failed = false;

  constructor(options: GuardOptions) {
    this.#run = options.run;
    this.#onNote = options.onNote ?? (() => {});
  }

  /** This run's marker prefix. */
  get run(): string {
    return this.#run;
  }

  /** The helper's pid (for tests), once started. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Whether containers can be removed when orch dies (curl is there). */
  static canRemoveContainers(): boolean {
    return findOnPath("curl") !== undefined;
  }

  #start(): void {
    if (this.#child || this.#closed || this.#failed) return;
    // Everything guarded so far goes with the new helper: in its environment when it fits (no
    // secret is in it), else first thing on its stdin.
    let state = `= run ${this.#run}\n${this.#dockerLine()}`;
    for (const d of this.#rmdirs) state += `= rmdir ${d}\n`;
    for (const [key, entry] of this.#entries) state += entryLine(key, entry);
    const inEnv = state.length <= INIT_ENV_MAX;
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command("sh", {
        args: ["-c", HELPER],
        stdin: "piped",
        stdout: "null",
        stderr: "null",
        env: { ORCH_GUARD: this.#run, ORCH_GUARD_INIT: inEnv ? state : "" },
        detached: true,
      }).spawn();
    } catch (error) {
      this.#failed = true;
      this.#onNote(
        `cannot start the guard (sh): ${(error as Error).message}; ` +
          "services may outlive orch if it is killed",
      );
      return;
    }
    child.unref();
    this.#child = child;
    this.#lastStart = Date.now();
    this.#writer = child.stdin.getWriter();
    this.#buffer = (inEnv ? "" : state) + this.#buffer;
    this.#schedule();
    void child.status.then((status) => this.#died(child, status));
  }

  #died(child: Deno.ChildProcess, status: Deno.CommandStatus): void {
    if (this.#child !== child) return;
    this.#child = undefined;
    this.#writer = undefined;
    this.#buffer = "";
    if (this.#closed) return;
    const how = status.signal ? `killed by ${status.signal}` : `exit code ${status.code}`;
    // Dying again at once (sh gone?) would loop: wait a second before the next one.
    const wait = Date.now() - this.#lastStart < 1_000 ? 1_000 : 0;
    const restart = () => {
      this.#start();
      this.#onNote(
        `the guard process (pid ${child.pid}) died (${how}); a new one (pid ${
          this.#child?.pid ?? "none"
        }) guards ${this.#entries.size} unit(s)`,
      );
    };
    if (wait) setTimeout(restart, wait);
    else restart();
  }

  #dockerLine(): string {
    if (!this.#docker) return "";
    return "unix" in this.#docker
      ? `= docker unix ${this.#docker.unix}\n`
      : `= docker tcp ${this.#docker.tcp}\n`;
  }

  #send(text: string): void {
    this.#start();
    if (!this.#child) return;
    this.#buffer += text;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // Lines of one tick (a fan-out of spawns) go out in one write.
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    const text = this.#buffer;
    const writer = this.#writer;
    this.#buffer = "";
    if (!text || !writer) return;
    this.#flushing = this.#flushing.then(() => writer.write(encoder.encode(text))).catch(() => {});
  }

  /** Tells the guard where the Docker engine is, for removing containers. */
  setDocker(docker: GuardDocker): void {
    if (!/^[^\s]+$/.test("unix" in docker ? docker.unix : docker.tcp)) return;
    this.#docker = docker;
    this.#send(this.#dockerLine());
  }

  /** Directories to remove at the end when empty (the project's cgroup directories). */
  removeAtEnd(dirs: readonly string[]): void {
    const valid = dirs.filter((d) => /^\/[^\s]*$/.test(d));
    for (const d of valid) this.#rmdirs.add(d);
    this.#send(valid.map((d) => `= rmdir ${d}\n`).join(""));
  }

  /** Guards a unit; returns its key. */
  add(entry: GuardEntry): number {
    const key = this.#nextKey++;
    this.#entries.set(key, entry);
    this.#send(entryLine(key, entry));
    return key;
  }

  /** Replaces what a unit holds (its process group, once spawned). */
  update(key: number, entry: GuardEntry): void {
    if (!this.#entries.has(key)) return;
    this.#entries.set(key, entry);
    this.#send(entryLine(key, entry));
  }

  /** Stops guarding a unit that is gone. */
  remove(key: number): void {
    if (!this.#entries.delete(key)) return;
    this.#send(`-${key}\n`);
  }

  /** Ends the helper (it kills whatever is still listed or marked) and waits for it. */
  async close(): Promise<void> {
    this.#closed = true;
    const child = this.#child;
    if (!child) return;
    this.#flush();
    await this.#flushing;
    await this.#writer?.close().catch(() => {});
    child.ref();
    await child.status;
    this.#child = undefined;
    this.#writer = undefined;
  }
}

/** The path of `name` on PATH, or undefined. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":").filter(Boolean)) {
    try {
      const info = Deno.statSync(`${dir}/${name}`);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return `${dir}/${name}`;
    } catch {
      // keep looking
    }
  }
  return undefined;
}
