/**
 * Real servers on 127.0.0.1 for tests of probes and policies: an HTTP server whose answer the test
 * sets, one that never answers, and a TCP listener. Each is disposed with `await using`.
 *
 * @module
 */

/** An HTTP server that answers every request with `status` (the test changes it as it goes). */
export interface SwitchableServer extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  /** What the next request gets. */
  status: number;
  /** Requests answered so far. */
  readonly requests: number;
}

/** Starts a {@link SwitchableServer} answering `status` until told otherwise. */
export function switchableServer(status = 200): SwitchableServer {
  let requests = 0;
  const state = { status };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => {
      requests++;
      return new Response(`status ${state.status}\n`, { status: state.status });
    },
  );
  const port = server.addr.port;
  return {
    url: `http://127.0.0.1:${port}/health`,
    port,
    get status() {
      return state.status;
    },
    set status(value: number) {
      state.status = value;
    },
    get requests() {
      return requests;
    },
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/**
 * A TCP listener that accepts connections and holds them without a word (an HTTP request to it
 * never gets an answer): `closeAll` ends what it holds.
 */
export function silentListener(): AsyncDisposable & { readonly port: number } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) held.push(conn);
    } catch {
      // closed
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      for (const conn of held) {
        try {
          conn.close();
        } catch {
          // closed by the peer
        }
      }
    },
  };
}
