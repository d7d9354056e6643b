/**
 * A child process for tests of the API server under a low descriptor limit: serves a tiny handler
 * on 127.0.0.1 with a connection limit above what its descriptors allow, prints `port N` once
 * listening, and prints every report of the server as `report ...`.
 *
 * Run: `prlimit --nofile=40:40 deno run -A http_fixture.ts`.
 *
 * @module
 */
import { serveHttp } from "../cli/mod.ts";

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const encoder = new TextEncoder();
const say = (line: string) => Deno.stdout.writeSync(encoder.encode(line + "\n"));
serveHttp(listener, () => Promise.resolve(new Response("ok\n")), {
  name: "fixture",
  maxConnections: 10_000,
  headerTimeoutMs: 60_000,
  report: (message) => say(`report ${message}`),
});
say(`port ${(listener.addr as Deno.NetAddr).port}`);
