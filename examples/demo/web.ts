// A web front that calls the api.
const port = Number(Deno.env.get("WEB_PORT") ?? 17010);
const api = Deno.env.get("API_URL") ?? "http://127.0.0.1:17020";
Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen: () => console.log(`web on http://127.0.0.1:${port}/`),
}, async () => {
  const data = await (await fetch(`${api}/`)).json();
  return new Response(`<h1>orch demo</h1><p>${data.hits} visits</p>`, {
    headers: { "content-type": "text/html" },
  });
});
