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

/** The lowest port the kernel hands out to clients (32768 when it cannot be read). */
function ephemeralLow(): number {
  try {
    const low = Number(
      Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range").split(/\s+/)[0],
    );
    return Number.isInteger(low) && low > 11_000 ? low : 32768;
  } catch {
    return 32768;
  }
}

/**
 * A prefix `P` such that the ports `P0` to `P9` were all free a moment ago, for replicas that
 * listen on `P${ORCH_REPLICA}`. Checking all ten keeps tests running in parallel from colliding.
 * Ranges are drawn below the kernel's ephemeral range: a test holding thousands of client
 * connections fills that range, and any decade there is then likely to have a port taken.
 */
export function freePortPrefix(): string {
  const decades = Math.floor((ephemeralLow() - 10_000) / 10);
  for (let attempt = 0; attempt < 200; attempt++) {
    const prefix = String(1000 + Math.floor(Math.random() * decades));
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
  throw new Error("no range of ten free ports on 127.0.0.1 below the ephemeral range");
}
