/**
 * Helpers for routing mesh tests: a small HTTP server that says which replica answers and stops
 * gracefully on SIGTERM (in-flight requests finish), and a client that opens a fresh connection
 * for every request, as many clients of a published port do.
 *
 * @module
 */

/**
 * A Python HTTP server: `python3 -u FILE PORT` answers every request with
 * `replica $ORCH_REPLICA $VERSION`; SIGTERM stops accepting and lets requests under way finish.
 */
export const REPLICA_SERVER = `
import http.server, os, signal, socketserver, sys, threading
port = int(sys.argv[1])
text = ("replica %s %s\\n" % (os.environ.get("ORCH_REPLICA", "?"), os.environ.get("VERSION", ""))).encode()
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(text)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(text)
    def log_message(self, *args):
        pass
class Server(http.server.ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True
server = Server(("127.0.0.1", port), Handler)
signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=server.shutdown).start())
print("listening on %d" % port, flush=True)
server.serve_forever()
server.server_close()
`;

/**
 * The first of `count` consecutive ports that were all free a moment ago, below Linux's ephemeral
 * range (32768 and up): replicas that restart while a client opens thousands of connections must
 * not find their port taken as the local port of one of them.
 */
export function freeStaticPorts(count: number): number {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (12_000 - count));
    const held: Deno.Listener[] = [];
    try {
      for (let i = 0; i < count; i++) {
        held.push(Deno.listen({ hostname: "127.0.0.1", port: base + i }));
      }
      return base;
    } catch {
      // one of them is taken: try another range
    } finally {
      for (const l of held) l.close();
    }
  }
  throw new Error(`no ${count} consecutive free ports from 20000 to 32000 on 127.0.0.1`);
}

/** One request on a new connection: the body, or the error. */
export async function getOnce(port: number, timeoutMs = 10_000): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    await conn.write(new TextEncoder().encode("GET / HTTP/1.0\r\nHost: orch\r\n\r\n"));
    let text = "";
    for await (const chunk of conn.readable.pipeThrough(new TextDecoderStream())) text += chunk;
    const [head, body] = text.split("\r\n\r\n");
    if (!head?.startsWith("HTTP/1.0 200") && !head?.startsWith("HTTP/1.1 200")) {
      throw new Error(`no answer (${JSON.stringify(text.slice(0, 80))})`);
    }
    return (body ?? "").trim();
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed by the timeout or the peer
    }
  }
}

/**
 * A client sending requests one after another until stopped, a few milliseconds apart (a few hundred
 * a second: enough to catch a gap, few enough not to fill the machine's ephemeral ports, which the
 * tests running beside it need); counts answers and failures.
 */
export function hammer(port: number, options: { pauseMs?: number } = {}): {
  readonly answers: Map<string, number>;
  readonly failures: string[];
  stop(): Promise<void>;
} {
  const answers = new Map<string, number>();
  const failures: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const body = await getOnce(port);
        answers.set(body, (answers.get(body) ?? 0) + 1);
      } catch (error) {
        failures.push((error as Error).message);
      }
      // Pacing the load, not waiting for anything.
      await new Promise((r) => setTimeout(r, options.pauseMs ?? 3));
    }
  })();
  return {
    answers,
    failures,
    async stop() {
      running = false;
      await loop;
    },
  };
}
