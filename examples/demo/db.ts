// A small database-like service: a line protocol over TCP (SET key value / GET key).
const port = Number(Deno.env.get("DB_PORT") ?? 17001);
const data = new Map<string, string>();
console.log("loading data files...");
await new Promise((r) => setTimeout(r, 300));
const listener = Deno.listen({ hostname: "127.0.0.1", port });
console.error(`db: ready to accept connections on ${port}`);
const encoder = new TextEncoder();
const decoder = new TextDecoder();
async function serve(conn: Deno.Conn) {
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) break;
    for (const line of decoder.decode(buf.subarray(0, n)).split("\n").filter(Boolean)) {
      const [cmd, key, ...rest] = line.trim().split(" ");
      let reply = "ERR unknown command";
      if (cmd === "SET") {
        data.set(key, rest.join(" "));
        reply = "OK";
      }
      if (cmd === "GET") reply = data.get(key) ?? "(nil)";
      await conn.write(encoder.encode(reply + "\n")).catch(() => {});
    }
  }
  conn.close();
}
for await (const conn of listener) serve(conn);
