/**
 * The TCP router against real sockets on 127.0.0.1.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { TcpRouter } from "../../src/runtime/proxy/router.ts";
import { freePort } from "../../src/testing/net.ts";
import { waitFor, within } from "../../src/testing/deadline.ts";

/**
 * Reads a connection to the end of its data with `read()` (which leaves it open to write), within
 * 15 seconds.
 */
async function readAll(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(1024);
  let text = "";
  await within(
    (async () => {
      for (;;) {
        const n = await conn.read(buffer);
        if (n === null) return;
        text += new TextDecoder().decode(buffer.subarray(0, n));
      }
    })(),
    15_000,
    "the connection to end",
  ).catch((error) => {
    throw new Error(`${error.message}; read so far: ${JSON.stringify(text)}`);
  });
  return text;
}

/** A backend that reads a connection to its end, then answers with what it read, reversed. */
function reverser(): Deno.TcpListener & { done: Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const handlers: Promise<void>[] = [];
  const done = (async () => {
    for await (const conn of listener) {
      handlers.push((async () => {
        const text = await readAll(conn);
        await conn.write(new TextEncoder().encode([...text].reverse().join("")));
        conn.close();
      })());
    }
    await Promise.all(handlers);
  })();
  return Object.assign(listener, { done });
}

/** Sends `text`, half-closes, and reads the answer to its end. */
async function exchange(port: number, text: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(text));
    await conn.closeWrite();
    return await readAll(conn);
  } catch {
    return "";
  } finally {
    conn.close();
  }
}

const addr = (l: Deno.Listener) => (l.addr as Deno.NetAddr).port;

Deno.test("a half-closed request is passed on and the answer comes back", async () => {
  const backend = reverser();
  const router = new TcpRouter();
  const port = freePort();
  const address = { hostname: "127.0.0.1", port };
  assertEquals(
    router.route(address, [{ id: "a", hostname: "127.0.0.1", port: addr(backend) }]),
    undefined,
  );
  assertEquals(await exchange(port, "hello mesh"), "hsem olleh");
  await router.close();
  backend.close();
  await backend.done;
});

Deno.test("a replica that refuses is skipped; with none, a connection is closed after the hold", async () => {
  const backend = reverser();
  const dead = freePort();
  const router = new TcpRouter({ holdMs: 300 });
  const port = freePort();
  const address = { hostname: "127.0.0.1", port };
  router.route(address, [
    { id: "dead", hostname: "127.0.0.1", port: dead },
    { id: "live", hostname: "127.0.0.1", port: addr(backend) },
  ]);
  for (let i = 0; i < 6; i++) assertEquals(await exchange(port, "ab"), "ba");
  router.route(address, []);
  const began = performance.now();
  assertEquals(await exchange(port, "ab"), "");
  const held = performance.now() - began;
  assert(held >= 250, `closed after ${held}ms`);
  await router.close();
  backend.close();
  await backend.done;
});

Deno.test("connections beyond the bound are closed at once; unroute stops listening", async () => {
  const backend = reverser();
  const router = new TcpRouter({ maxConnections: 2 });
  const port = freePort();
  const address = { hostname: "127.0.0.1", port };
  router.route(address, [{ id: "a", hostname: "127.0.0.1", port: addr(backend) }]);
  const open = [
    await Deno.connect({ hostname: "127.0.0.1", port }),
    await Deno.connect({ hostname: "127.0.0.1", port }),
  ];
  // The listener accepts in order, and counts a connection as soon as it accepts it.
  assertEquals(await exchange(port, "xy"), "", "the third was closed");
  assertEquals(router.connections(address), 2);
  for (const c of open) c.close();
  router.unroute(address);
  // Deno drops a closed listener's socket once its pending accept is cancelled, which may be a
  // turn of the event loop later: until then a connection can still land in its backlog.
  await waitFor(
    () =>
      Deno.connect({ hostname: "127.0.0.1", port }).then(
        (c) => (c.close(), false),
        () => true,
      ),
    "nothing listens after unroute",
    5_000,
  );
  await router.close();
  backend.close();
  await backend.done;
});

Deno.test("a port in use is reported, not thrown", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const router = new TcpRouter();
  const problem = router.route({ hostname: "127.0.0.1", port: addr(taken) }, []);
  assertMatch(problem ?? "", /in use/);
  taken.close();
  await router.close();
});
