/**
 * Ports for tests that start servers on 127.0.0.1.
 *
 * @module
 */

/** A port that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * A prefix `P` such that the ports `P0` to `P9` were all free a moment ago, for replicas that
 * listen on `P${ORCH_REPLICA}`. Checking all ten keeps tests running in parallel from colliding.
 */
export function freePortPrefix(): string {
  for (let attempt = 0; attempt < 50; attempt++) {
    const prefix = String(freePort()).slice(0, -1);
    if (Number(`${prefix}9`) > 65535) continue;
    const held: Deno.Listener[] = [];
    try {
      for (let d = 0; d < 10; d++) {
        held.push(Deno.listen({ hostname: "127.0.0.1", port: Number(`${prefix}${d}`) }));
      }
      return prefix;
    } catch {
      // one of the ten is taken: try another range
    } finally {
      for (const l of held) l.close();
    }
  }
  throw new Error("no range of ten free ports on 127.0.0.1");
}
