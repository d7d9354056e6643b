/**
 * The control plane against a hostile local user: no secret on a command line, apply cannot read
 * outside the project (nothing of /etc/passwd or /etc/shadow comes back), the state directory and
 * the socket directory are private.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { runOrch as orch } from "../../src/testing/cli.ts";
import { exists, project, runFile } from "../../src/testing/project.ts";
import { tempDir } from "../../src/testing/recorder.ts";
import { waitFor } from "../../src/testing/deadline.ts";

/** Every process's command line, by pid. */
async function commandLines(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      out.set(entry.name, await Deno.readTextFile(`/proc/${entry.name}/cmdline`));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The lines of a file that must never show up in a response (when this test may read it). */
function linesOf(path: string): string[] {
  try {
    return Deno.readTextFileSync(path).split("\n").filter((l) => l.trim().length > 5);
  } catch {
    return [];
  }
}

Deno.test("up -d --listen --token T: T is on no command line, works on TCP, and no service sees it", async () => {
  const token = `tok-${crypto.randomUUID()}`;
  await using p = await project(`services:\n  env: { command: "env; exec sleep 30" }\n`);
  const up = await orch(p.path, [
    "up",
    "-d",
    "--wait",
    "--listen",
    "127.0.0.1:0",
    "--token",
    token,
  ]);
  assertEquals(up.code, 0, up.stderr);
  for (const [pid, line] of await commandLines()) {
    assert(!line.includes(token), `pid ${pid} has the token on its command line: ${line}`);
  }
  const { listen, pid } = runFile(p.path);
  const status = await fetch(`http://${listen}/v1/status`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assertEquals(status.status, 200);
  const service = (await status.json()).instances[0];
  const environ = await Deno.readTextFile(`/proc/${service.pid}/environ`);
  assert(!environ.includes(token), "the service's environment holds the token");
  const logs = await orch(p.path, ["logs", "env"]);
  assertMatch(logs.stdout, /\| PATH=/);
  assert(!logs.stdout.includes(token), "the service printed the token");
  const own = await Deno.readTextFile(`/proc/${pid}/environ`);
  assert(!own.includes(token), "orch's environment holds the token");
});

Deno.test("apply over TCP with the admin token cannot read outside the project, and echoes nothing of it", async () => {
  await using p = await project(`services:\n  a: { command: "exec sleep 30" }\n`);
  await using elsewhere = await tempDir();
  assertEquals((await orch(p.path, ["up", "-d", "--wait", "--listen", "127.0.0.1:0"])).code, 0);
  const { listen } = runFile(p.path);
  const { admin } = JSON.parse(await Deno.readTextFile(`${p.path}/.orch/tokens.json`));
  await Deno.symlink("/etc/passwd", `${p.path}/passwd.yaml`);
  await Deno.symlink("/etc", `${p.path}/etc`);
  await Deno.writeTextFile(`${p.path}/notes.txt`, "root:x:0:0:root:/root:/bin/bash\n");
  await Deno.writeTextFile(`${elsewhere.path}/outside.yaml`, `services:\n  b: { command: "id" }\n`);
  const secrets = [...linesOf("/etc/passwd"), ...linesOf("/etc/shadow")];
  assert(secrets.length > 0, "the test reads /etc/passwd");
  const apply = async (body: unknown) => {
    const response = await fetch(`http://${listen}/v1/apply`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    for (const line of secrets) assert(!text.includes(line), `the response quotes "${line}"`);
    return { status: response.status, text };
  };
  const refused: [unknown, number, RegExp][] = [
    [{ files: ["/etc/passwd"], dryRun: true }, 403, /outside the project/],
    [{ files: ["/etc/shadow"], dryRun: true }, 403, /outside the project/],
    [{ files: ["/etc/shadow"] }, 403, /outside the project/],
    [{ files: ["../../../../../etc/shadow"], dryRun: true }, 403, /outside the project/],
    [{ files: [`${elsewhere.path}/outside.yaml`] }, 403, /outside the project/],
    [{ files: ["passwd.yaml"], dryRun: true }, 403, /through a symlink/],
    [{ files: ["etc/shadow.yaml"], dryRun: true }, 403, /through a symlink/],
    [{ files: ["etc/passwd"], dryRun: true }, 403, /not a stack file/],
    [{ files: ["notes.txt"], dryRun: true }, 403, /not a stack file/],
    [{ documents: [{ name: "../x.yaml", content: "services: {}" }] }, 400, /not a relative path/],
    [{ documents: [{ name: "/etc/passwd", content: "x" }], dryRun: true }, 400, /relative path/],
    [{ content: "services: {}", name: "etc/../../x.yaml" }, 400, /not a relative path/],
    // Files a stack names are read through the same check.
    [
      {
        content: "services:\n  x:\n    image: busybox\n    env_file: /etc/shadow\n",
        name: "compose.yaml",
        dryRun: true,
      },
      422,
      /shadow/,
    ],
    [
      {
        content: "include: [/etc/passwd]\nservices:\n  x: { image: busybox }\n",
        name: "compose.yaml",
        dryRun: true,
      },
      422,
      /passwd/,
    ],
  ];
  for (const [body, status, message] of refused) {
    const answer = await apply(body);
    assertEquals(answer.status, status, `${JSON.stringify(body)}: ${answer.text}`);
    assertMatch(answer.text, message);
  }
  // The stack's content in the request works, from anywhere.
  const next = `services:\n  a: { command: "exec sleep 30" }\n  c: { command: "exec sleep 31" }\n`;
  const plan = await apply({ content: next, dryRun: true });
  assertEquals(plan.status, 200, plan.text);
  assertEquals(JSON.parse(plan.text).plan.added, ["c"]);
  const bad = await apply({ content: "services:\n  a: { comand: x }\n", dryRun: true });
  assertEquals(bad.status, 422);
  assertMatch(bad.text, /comand/);

  // The CLI sends the file's content: it works from another directory, against the remote orch.
  await Deno.writeTextFile(`${elsewhere.path}/next.yaml`, next);
  const remote = await orch(elsewhere.path, [
    "apply",
    "-f",
    "next.yaml",
    "--host",
    listen!,
    "--token",
    admin,
  ]);
  assertEquals(remote.code, 0, remote.stderr);
  assertMatch(remote.stdout, /\+ c {2}\(added\)[\s\S]*applied\n$/);
  assertMatch((await orch(p.path, ["status"])).stdout, /\nc\s+ready/);
});

Deno.test(".orch/ is 0700 and every file in it 0600, logs included", async () => {
  await using p = await project(
    `services:\n  talk: { command: "echo hello; exec sleep 30" }\n`,
  );
  // A state directory left by an older orch, readable by all, is made private.
  await Deno.mkdir(`${p.path}/.orch/logs`, { recursive: true, mode: 0o755 });
  await Deno.chmod(`${p.path}/.orch`, 0o755);
  const up = await orch(p.path, ["up", "-d", "--wait", "--listen", "127.0.0.1:0"]);
  assertEquals(up.code, 0, up.stderr);
  assertMatch((await orch(p.path, ["logs", "talk"])).stdout, /hello/);
  const expected = [
    "logs/orch.ndjson",
    "orch.json",
    "orch.log",
    "orch.sock",
    "pgids",
    "tokens.json",
  ];
  // The NDJSON file is written within a turn of the event loop after the line.
  await waitFor(() => exists(`${p.path}/.orch/logs/orch.ndjson`), "the NDJSON log to be written");
  const seen: string[] = [];
  const walk = async (dir: string, prefix: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      const mode = (await Deno.lstat(path)).mode! & 0o777;
      if (entry.isDirectory) {
        assertEquals(mode.toString(8), "700", `${path} is a directory of mode 700`);
        await walk(path, `${prefix}${entry.name}/`);
      } else {
        assertEquals(mode.toString(8), "600", `${path} has mode 600`);
        seen.push(`${prefix}${entry.name}`);
      }
    }
  };
  assertEquals(((await Deno.stat(`${p.path}/.orch`)).mode! & 0o777).toString(8), "700");
  await walk(`${p.path}/.orch`, "");
  for (const file of expected) assert(seen.includes(file), `${file} exists (${seen.join(", ")})`);
});

Deno.test("a long project path puts the socket in a private per-user directory, and refuses a squatted one", async () => {
  await using root = await tempDir();
  await using tmp = await tempDir();
  const deep = `${root.path}/${"a-rather-long-directory-name/".repeat(4)}`;
  await Deno.mkdir(deep, { recursive: true });
  await using p = await project(`services:\n  s: { command: "exec sleep 30" }\n`, { dir: deep });
  const env = { TMPDIR: tmp.path, XDG_RUNTIME_DIR: "" };
  const own = `${tmp.path}/orch-${Deno.uid()}`;

  // Another user's directory, a symlink, or one open to others: refused, naming the reason.
  const squats: [() => Promise<void>, RegExp][] = [
    [() => Deno.symlink(root.path, own), /symbolic link/],
    [async () => {
      await Deno.mkdir(own);
      await Deno.chmod(own, 0o777);
    }, /mode is 777/],
    [async () => {
      await Deno.mkdir(own, { mode: 0o700 });
      await Deno.chown(own, 65534, 65534);
    }, /belongs to uid 65534/],
  ];
  for (const [squat, why] of squats) {
    await squat();
    const up = await orch(p.path, ["up", "--no-tui"], env, { timeoutMs: 20_000 });
    assertEquals(up.code, 1, up.stderr);
    assertMatch(up.stderr, new RegExp(`cannot put the control socket in ${own}: `));
    assertMatch(up.stderr, why);
    assert(!/at .*\.ts:\d+/.test(up.stderr), `one clear line, no stack: ${up.stderr}`);
    await Deno.remove(own, { recursive: true });
  }

  const up = await orch(p.path, ["up", "-d", "--wait"], env);
  assertEquals(up.code, 0, up.stderr);
  const { socket } = runFile(p.path);
  assertEquals(socket.slice(0, socket.lastIndexOf("/")), own);
  const info = await Deno.lstat(own);
  assert(info.isDirectory && info.uid === Deno.uid());
  assertEquals((info.mode! & 0o777).toString(8), "700");
  assertMatch((await orch(p.path, ["status"], env)).stdout, /\ns\s+ready/);
});
