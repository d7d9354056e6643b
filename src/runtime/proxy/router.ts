/**
 * The routing mesh's TCP adapter: orch listens on a service's published host port and forwards
 * each connection to one of the ready replicas (the one with the fewest connections, in turn among
 * equals), bytes both ways, half-close passed through. A connection that arrives while no replica
 * is ready waits a moment for one, then is closed; a replica that refuses is skipped for the next.
 * Connections per listener are bounded, and running out of descriptors pauses accepting instead of
 * crashing.
 *
 * @module
 */
import type { Backend, RouteAddress, Router } from "../../engine/mod.ts";

/** Options of the router. */
export interface TcpRouterOptions {
  /** How long a new connection waits for a ready replica before it is closed (default 3s). */
  readonly holdMs?: number;
  /** Client connections at once per listener; more are closed at once (default 1024). */
  readonly maxConnections?: number;
  /** How long connecting to one replica may take before the next is tried (default 2s). */
  readonly connectTimeoutMs?: number;
}

/** Forwards connections from host ports to the ready replicas. */
export class TcpRouter implements Router {
  readonly #routes = new Map<string, Route>();
  readonly #options: Required<TcpRouterOptions>;

  constructor(options: TcpRouterOptions = {}) {
    this.#options = {
      holdMs: options.holdMs ?? 3_000,
      maxConnections: options.maxConnections ?? 1024,
      connectTimeoutMs: options.connectTimeoutMs ?? 2_000,
    };
  }

  route(address: RouteAddress, backends: readonly Backend[]): string | undefined {
    const key = `${address.hostname}|${address.port}`;
    let route = this.#routes.get(key);
    if (!route) {
      let listener: Deno.TcpListener;
      try {
        listener = Deno.listen({ hostname: address.hostname, port: address.port });
      } catch (error) {
        return error instanceof Deno.errors.AddrInUse
          ? "the address is in use"
          : (error as Error).message;
      }
      route = new Route(listener, this.#options);
      this.#routes.set(key, route);
    }
    route.setBackends(backends);
    return undefined;
  }

  unroute(address: RouteAddress): void {
    const key = `${address.hostname}|${address.port}`;
    this.#routes.get(key)?.stopListening();
    this.#routes.delete(key);
  }

  /** The number of client connections open now, for tests and metrics. */
  connections(address: RouteAddress): number {
    return this.#routes.get(`${address.hostname}|${address.port}`)?.clients ?? 0;
  }

  async close(): Promise<void> {
    const routes = [...this.#routes.values()];
    this.#routes.clear();
    await Promise.all(routes.map((r) => r.close()));
  }
}

/** One listener and its connections. */
class Route {
  readonly #listener: Deno.TcpListener;
  readonly #options: Required<TcpRouterOptions>;
  #backends: readonly Backend[] = [];
  /** Open upstream connections per backend, for least-connections. */
  readonly #load = new Map<string, number>();
  #turn = 0;
  readonly #waiters = new Set<() => void>();
  readonly #conns = new Set<Deno.Conn>();
  readonly #serving: Promise<void>;
  readonly #handlers = new Set<Promise<void>>();
  #listening = true;
  clients = 0;

  constructor(listener: Deno.TcpListener, options: Required<TcpRouterOptions>) {
    this.#listener = listener;
    this.#options = options;
    this.#serving = this.#serve();
  }

  setBackends(backends: readonly Backend[]): void {
    this.#backends = [...backends];
    for (const wake of [...this.#waiters]) wake();
  }

  async #serve(): Promise<void> {
    while (this.#listening) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (!this.#listening || error instanceof Deno.errors.BadResource) return;
        // Out of descriptors (or another passing error): pause accepting, do not crash.
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      if (this.clients >= this.#options.maxConnections) {
        conn.close();
        continue;
      }
      const handler: Promise<void> = this.#handle(conn).finally(() =>
        this.#handlers.delete(handler)
      );
      this.#handlers.add(handler);
    }
  }

  async #handle(client: Deno.TcpConn): Promise<void> {
    this.clients++;
    this.#conns.add(client);
    let upstream: { conn: Deno.TcpConn; key: string } | undefined;
    try {
      upstream = await this.#connect();
      if (!upstream) return;
      this.#conns.add(upstream.conn);
      // Bytes are passed on as they come: no Nagle delay on either leg.
      client.setNoDelay(true);
      upstream.conn.setNoDelay(true);
      await pipeBoth(client, upstream.conn);
    } finally {
      close(client);
      this.#conns.delete(client);
      this.clients--;
      if (upstream) {
        close(upstream.conn);
        this.#conns.delete(upstream.conn);
        this.#load.set(upstream.key, (this.#load.get(upstream.key) ?? 1) - 1);
      }
    }
  }

  /** A connection to a ready replica, or undefined when none took one within the hold time. */
  async #connect(): Promise<{ conn: Deno.TcpConn; key: string } | undefined> {
    const deadline = Date.now() + this.#options.holdMs;
    const refused = new Set<string>();
    for (;;) {
      const candidates = this.#backends.filter((b) => !refused.has(keyOf(b)));
      if (candidates.length === 0) {
        // None ready, or every one refused: wait for the set to change, within the hold time.
        if (!await this.#changed(deadline)) return undefined;
        refused.clear();
        continue;
      }
      const backend = this.#pick(candidates);
      const key = keyOf(backend);
      this.#load.set(key, (this.#load.get(key) ?? 0) + 1);
      try {
        return { conn: await this.#dial(backend), key };
      } catch {
        this.#load.set(key, (this.#load.get(key) ?? 1) - 1);
        refused.add(key);
      }
    }
  }

  /** The candidate with the fewest connections; among equals, the next in turn. */
  #pick(candidates: readonly Backend[]): Backend {
    const start = this.#turn++ % candidates.length;
    let best = candidates[start];
    for (let i = 1; i < candidates.length; i++) {
      const c = candidates[(start + i) % candidates.length];
      if ((this.#load.get(keyOf(c)) ?? 0) < (this.#load.get(keyOf(best)) ?? 0)) best = c;
    }
    return best;
  }

  async #dial(backend: Backend): Promise<Deno.TcpConn> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.#options.connectTimeoutMs);
    try {
      const conn = await Deno.connect({
        hostname: backend.hostname,
        port: backend.port,
        signal: abort.signal,
      });
      return conn;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves true when the backends change, false at the deadline or when the route closes. */
  #changed(deadline: number): Promise<boolean> {
    const left = deadline - Date.now();
    if (left <= 0 || !this.#listening) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (changed: boolean) => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve(changed);
      };
      const wake = () => done(this.#listening);
      const timer = setTimeout(() => done(false), left);
      this.#waiters.add(wake);
    });
  }

  /** Stops accepting; connections under way go on. */
  stopListening(): void {
    if (!this.#listening) return;
    this.#listening = false;
    close(this.#listener);
    for (const wake of [...this.#waiters]) wake();
  }

  /** Stops accepting and closes every connection. */
  async close(): Promise<void> {
    this.stopListening();
    for (const conn of this.#conns) close(conn);
    await this.#serving;
    await Promise.all([...this.#handlers]);
  }
}

const keyOf = (b: Backend) => `${b.hostname}|${b.port}`;

function close(resource: { close(): void }): void {
  try {
    resource.close();
  } catch {
    // already closed
  }
}

/** Bytes read at once per direction of a connection. */
const CHUNK = 16 * 1024;

/**
 * Copies bytes both ways until both sides have finished. The end of one side's data is passed on
 * as a half-close (the other side may still answer); an error on either side closes both. It reads
 * with `read()`, not `readable`: the stream closes the whole connection at the end of its data,
 * which would cut the answer to a half-closed request.
 */
async function pipeBoth(a: Deno.TcpConn, b: Deno.TcpConn): Promise<void> {
  let failed = false;
  const one = async (from: Deno.TcpConn, to: Deno.TcpConn) => {
    const buffer = new Uint8Array(CHUNK);
    try {
      for (;;) {
        const n = await from.read(buffer);
        if (n === null) break;
        for (let offset = 0; offset < n;) offset += await to.write(buffer.subarray(offset, n));
      }
      await to.closeWrite();
    } catch {
      if (!failed) {
        failed = true;
        close(a);
        close(b);
      }
    }
  };
  await Promise.all([one(a, b), one(b, a)]);
}
