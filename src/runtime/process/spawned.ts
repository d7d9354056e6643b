/**
 * Which children are Deno's own: every process orch spawns, registered the moment `spawn` returns
 * (before any signal listener can run), and released once Deno has collected its exit status.
 *
 * A reaper must never `waitpid` one of these: Deno waits for them itself, and a stolen status
 * makes its `child.status` fail. Registration wraps `Deno.Command`, so that every spawn in the
 * process counts, whoever makes it (the process runtime, probes, hooks, the group guard):
 * `spawn()` registers the child, and `output()` goes through `spawn()` so that its pid is known
 * too. `outputSync()` needs nothing: Deno has reaped that child before the call returns. Spawns
 * made inside a Worker are not seen (orch makes none).
 *
 * @module
 */

/** The live children Deno waits for. */
export class SpawnRegistry {
  readonly #pids = new Set<number>();
  readonly #onRelease: () => void;

  /** `onRelease` runs after a child's status was collected (its pid may be reused from then on). */
  constructor(onRelease: () => void = () => {}) {
    this.#onRelease = onRelease;
  }

  /** Whether `pid` is a child Deno waits for. */
  has(pid: number): boolean {
    return this.#pids.has(pid);
  }

  /** How many children are registered. */
  get size(): number {
    return this.#pids.size;
  }

  /** Registers a child until Deno has its exit status. */
  track(child: Deno.ChildProcess): void {
    const pid = child.pid;
    this.#pids.add(pid);
    child.status.catch(() => undefined).then(() => {
      this.#pids.delete(pid);
      this.#onRelease();
    });
  }
}

const ORIGINAL = Deno.Command;
let active: SpawnRegistry | undefined;

class TrackedCommand extends ORIGINAL {
  readonly #command: string | URL;
  readonly #options: Deno.CommandOptions | undefined;

  constructor(command: string | URL, options?: Deno.CommandOptions) {
    super(command, options);
    this.#command = command;
    this.#options = options;
  }

  override spawn(): Deno.ChildProcess {
    const child = super.spawn();
    active?.track(child);
    return child;
  }

  override output(): Promise<Deno.CommandOutput> {
    const options = this.#options ?? {};
    if (options.stdin === "piped") return super.output(); // rejects the way Deno does
    // Deno's defaults for output(): stdin null, stdout and stderr piped.
    return new TrackedCommand(this.#command, {
      ...options,
      stdin: options.stdin ?? "null",
      stdout: options.stdout ?? "piped",
      stderr: options.stderr ?? "piped",
    }).spawn().output();
  }
}

/**
 * Registers every child spawned from now on in `registry`, until the returned function is called.
 * One registry at a time.
 */
export function trackSpawns(registry: SpawnRegistry): () => void {
  if (active && active !== registry) throw new Error("spawns are already being tracked");
  active = registry;
  Object.defineProperty(Deno, "Command", {
    value: TrackedCommand,
    configurable: true,
    writable: true,
    enumerable: true,
  });
  return () => {
    if (active !== registry) return;
    active = undefined;
    Object.defineProperty(Deno, "Command", {
      value: ORIGINAL,
      configurable: true,
      writable: true,
      enumerable: true,
    });
  };
}
