// An API in front of the db: /health answers 200 once it can reach the db.
const port = Number(Deno.env.get("API_PORT") ?? 17020) + Number(Deno.env.get("ORCH_REPLICA") ?? 0);
const dbPort = Number(Deno.env.get("DB_PORT") ?? 17001);
async function db(command: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: dbPort });
  try {
    await conn.write(new TextEncoder().encode(command + "\n"));
    const buf = new Uint8Array(1024);
    const n = await conn.read(buf);
    return new TextDecoder().decode(buf.subarray(0, n ?? 0)).trim();
  } finally {
    conn.close();
  }
}
let hits = 0;
Deno.serve(
  { hostname: "127.0.0.1", port, onListen: () => console.log(`api listening on ${port}`) },
  async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/health") {
      try {
        await db("GET health");
        return new Response("ok");
      } catch {
        return new Response("db unreachable", { status: 503 });
      }
    }
    hits++;
    await db(`SET hits ${hits}`);
    console.log(JSON.stringify({ level: "info", msg: "request", path: url.pathname, hits }));
    return Response.json({ hits, replica: Deno.env.get("ORCH_REPLICA") });
  },
);
