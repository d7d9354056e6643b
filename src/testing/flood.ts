/**
 * A child process for tests: opens COUNT TCP connections to 127.0.0.1:PORT (500 at a time), holds
 * them without sending anything, prints `held N failed M` once all attempts are done, and closes
 * them all when its stdin ends.
 *
 * Run: `deno run -A flood.ts PORT COUNT`.
 *
 * @module
 */
const [port, count] = Deno.args.map(Number);
const held: Deno.Conn[] = [];
let failed = 0;
for (let start = 0; start < count; start += 500) {
  const batch = Array.from(
    { length: Math.min(500, count - start) },
    () =>
      Deno.connect({ hostname: "127.0.0.1", port }).then(
        (conn) => void held.push(conn),
        () => void failed++,
      ),
  );
  await Promise.all(batch);
}
Deno.stdout.writeSync(new TextEncoder().encode(`held ${held.length} failed ${failed}\n`));
// Hold them until told to stop (stdin closes).
for await (const _ of Deno.stdin.readable) {
  // nothing is ever sent
}
for (const conn of held) {
  try {
    conn.close();
  } catch {
    // closed by the server
  }
}
