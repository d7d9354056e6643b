/**
 * Requests over a unix socket name no host to look up: Deno resolves a URL's host even when its
 * client goes to a unix socket, and a DNS query for a made-up name ("orch", "docker") stalled a
 * request 5 s now and then on this machine. The orch client and the Docker client both send
 * `Host: localhost` (from /etc/hosts); a raw server on a real socket records what they send.
 */
import { assertEquals } from "../assert.ts";
import { connect } from "../../src/cli/client.ts";
import { DockerClient, endpointFrom } from "../../src/runtime/docker/client.ts";
import { tempDir } from "../../src/testing/recorder.ts";

/** A server that answers every request with `body` and records each request's Host header. */
function recorder(path: string, body: string) {
  const hosts: string[] = [];
  const listener = Deno.listen({ transport: "unix", path });
  const done = (async () => {
    for await (const conn of listener) {
      const buf = new Uint8Array(8192);
      let text = "";
      while (!text.includes("\r\n\r\n")) {
        const n = await conn.read(buf);
        if (n === null) break;
        text += new TextDecoder().decode(buf.subarray(0, n));
      }
      hosts.push(/^host: *(.*)$/im.exec(text)?.[1].trim() ?? "");
      await conn.write(new TextEncoder().encode(
        `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n` +
          `content-length: ${body.length}\r\n\r\n${body}`,
      ));
      conn.close();
    }
  })();
  return { hosts, close: () => (listener.close(), done) };
}

Deno.test("the orch client and the Docker client ask a unix socket for localhost", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(`${dir.path}/.orch`);
  const orchSocket = `${dir.path}/.orch/orch.sock`;
  const orch = recorder(orchSocket, JSON.stringify({ status: "ok", pid: Deno.pid }));
  await Deno.writeTextFile(
    `${dir.path}/.orch/orch.json`,
    JSON.stringify({
      pid: Deno.pid,
      socket: orchSocket,
      startedAt: 0,
      version: "0",
      stack: "s",
      files: [],
    }),
  );
  const control = await connect({ project: dir.path });
  try {
    await control.info();
  } finally {
    control.close?.();
  }
  const dockerSocket = `${dir.path}/docker.sock`;
  const docker = recorder(dockerSocket, JSON.stringify({ ApiVersion: "1.41" }));
  const client = new DockerClient(endpointFrom(`unix://${dockerSocket}`));
  try {
    await client.negotiate().catch(() => {});
  } finally {
    client.close();
  }
  await orch.close();
  await docker.close();
  assertEquals([...new Set(orch.hosts)], ["localhost"]);
  assertEquals([...new Set(docker.hosts)], ["localhost"]);
});
