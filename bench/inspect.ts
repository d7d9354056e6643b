/**
 * Looking inside a running Deno process through its V8 inspector (started with
 * `--inspect=127.0.0.1:PORT`): evaluate an expression, collect garbage, take a heap snapshot and
 * summarize it by kind of object. The memory and profile scenarios use it.
 *
 * @module
 */

/** A connection to one inspector target. */
export class Inspector {
  readonly #socket: WebSocket;
  #next = 1;
  readonly #pending = new Map<number, (result: unknown) => void>();
  readonly #listeners = new Map<string, (params: Record<string, unknown>) => void>();

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.id !== undefined) {
        this.#pending.get(message.id)?.(message.error ? { error: message.error } : message.result);
        this.#pending.delete(message.id);
      } else this.#listeners.get(message.method)?.(message.params);
    };
  }

  /** Connects to the first target of the inspector on `port`, trying for up to `timeoutMs`. */
  static async connect(port: number, timeoutMs = 20_000): Promise<Inspector> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
        const socket = new WebSocket(list[0].webSocketDebuggerUrl);
        await new Promise((resolve, reject) => {
          socket.onopen = resolve;
          socket.onerror = reject;
        });
        return new Inspector(socket);
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`no inspector on port ${port}: ${error}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Sends a method; resolves with its result. */
  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.#next++;
    this.#socket.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) =>
      this.#pending.set(id, (result) => {
        const r = result as Record<string, unknown>;
        if (r?.error) reject(new Error(`${method}: ${JSON.stringify(r.error)}`));
        else resolve(r);
      })
    );
  }

  /** The value of a JavaScript expression in the target (awaited, returned by value). */
  async evaluate<T>(expression: string): Promise<T> {
    const out = await this.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    return (out.result as { value: T }).value;
  }

  /** A full garbage collection. */
  async collectGarbage(): Promise<void> {
    await this.send("HeapProfiler.collectGarbage");
  }

  /** A heap snapshot, parsed. */
  async heapSnapshot(): Promise<HeapSnapshot> {
    let text = "";
    this.#listeners.set("HeapProfiler.addHeapSnapshotChunk", (params) => {
      text += params.chunk as string;
    });
    await this.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    this.#listeners.delete("HeapProfiler.addHeapSnapshotChunk");
    return JSON.parse(text);
  }

  /** Closes the connection. */
  close(): void {
    this.#socket.close();
  }
}

/** The parts of the `.heapsnapshot` format read here. */
export interface HeapSnapshot {
  readonly snapshot: {
    readonly meta: {
      readonly node_fields: readonly string[];
      readonly node_types: readonly [readonly string[], ...unknown[]];
    };
    readonly node_count: number;
  };
  readonly nodes: readonly number[];
  readonly strings: readonly string[];
}

/** Self sizes by kind: V8's node types, objects split by constructor; bytes, largest first. */
export function heapByKind(snapshot: HeapSnapshot): [string, number][] {
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const sizes = new Map<string, number>();
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = types[snapshot.nodes[i + typeAt]];
    const name = snapshot.strings[snapshot.nodes[i + nameAt]];
    const key = type === "object" || type === "native"
      ? `${type} ${name.slice(0, 40)}`
      : type === "code"
      ? "code (bytecode, compiled code, metadata)"
      : type === "closure"
      ? "closures"
      : type;
    sizes.set(key, (sizes.get(key) ?? 0) + snapshot.nodes[i + sizeAt]);
  }
  return [...sizes].sort((a, b) => b[1] - a[1]);
}

/** PSS of a process by kind of mapping, in KiB: the deno binary, malloc's heap, anonymous maps. */
export function pssByMapping(pid: number): Record<string, number> {
  const out: Record<string, number> = { total: 0, binary: 0, heap: 0, anon: 0, other: 0 };
  let kind = "other";
  for (const line of Deno.readTextFileSync(`/proc/${pid}/smaps`).split("\n")) {
    const map = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (map) {
      const name = map[1];
      kind = name === ""
        ? "anon"
        : name === "[heap]"
        ? "heap"
        : /\/deno$/.test(name)
        ? "binary"
        : "other";
      continue;
    }
    const pss = /^Pss:\s+(\d+)/.exec(line);
    if (pss) {
      out[kind] += Number(pss[1]);
      out.total += Number(pss[1]);
    }
  }
  return out;
}
