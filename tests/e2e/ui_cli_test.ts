/**
 * `orch ui` and `orch up --ui` from the command line, against a real orch, checked with plain HTTP
 * requests (the browser tests are in web_test.ts): the URL logs in once, a remote `orch ui --host`
 * gets a URL on that listener, a read-only token gets read-only sessions only.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { orchArgv, runOrch } from "../../src/testing/cli.ts";
import { project, runFile } from "../../src/testing/project.ts";
import { readUntil } from "../../src/testing/deadline.ts";

const STACK = `
services:
  app:
    command: "exec sleep 600"
`;

/** Opens a login URL: the session cookie, and what `/ui/session` says of it. */
async function login(url: string): Promise<{ status: number; cookie?: string; access?: string }> {
  const response = await fetch(url, { redirect: "manual" });
  await response.body?.cancel();
  const cookie = response.headers.get("set-cookie")?.split(";")[0];
  if (response.status !== 303 || !cookie) return { status: response.status };
  assertEquals(response.headers.get("location"), "/ui/");
  const session = await fetch(new URL("/ui/session", url), { headers: { cookie } });
  return { status: 303, cookie, access: (await session.json()).access };
}

const urlIn = (text: string) => /(http:\/\/\S+\/ui\/login\?token=\S+)/.exec(text)?.[1];

Deno.test("up -d --ui prints a login URL that works once; orch ui prints another", async () => {
  await using p = await project(STACK);
  const up = await runOrch(p.path, ["up", "-d", "--ui"]);
  assertEquals(up.code, 0, up.stderr);
  const url = urlIn(up.stdout);
  assert(url, up.stdout);
  assertMatch(url, /^http:\/\/127\.0\.0\.1:\d+\/ui\/login\?token=[A-Za-z0-9_-]{43}$/);
  const first = await login(url);
  assertEquals([first.status, first.access], [303, "admin"]);
  assertEquals((await login(url)).status, 401, "the second use");
  const ui = await runOrch(p.path, ["ui", "--read-only"]);
  assertEquals(ui.code, 0, ui.stderr);
  assertMatch(ui.stdout, /dashboard \(read-only\): /);
  const again = urlIn(ui.stdout)!;
  assertEquals(new URL(again).origin, new URL(url).origin, "the same listener");
  assertEquals((await login(again)).access, "read");
  const elsewhere = await runOrch(p.path, ["ui", "--listen", "127.0.0.1:1"]);
  assertEquals(elsewhere.code, 1);
  assertMatch(
    elsewhere.stderr,
    /served on 127\.0\.0\.1:\d+ already; cannot serve it on 127\.0\.0\.1:1/,
  );
});

Deno.test("orch ui --host: a URL on the remote listener; a read-only token opens read-only only", async () => {
  await using p = await project(STACK);
  const up = await runOrch(p.path, ["up", "-d", "--listen", "127.0.0.1:0"]);
  assertEquals(up.code, 0, up.stderr);
  const listen = runFile(p.path).listen!;
  const tokens = JSON.parse(await Deno.readTextFile(`${p.path}/.orch/tokens.json`));
  const remote = await runOrch("/", ["ui", "--host", listen], { ORCH_TOKEN: tokens.admin });
  assertEquals(remote.code, 0, remote.stderr);
  const url = urlIn(remote.stdout)!;
  assertEquals(new URL(url).host, listen);
  assertEquals((await login(url)).access, "admin");
  const read = await runOrch("/", ["ui", "--host", listen], { ORCH_TOKEN: tokens.readOnly });
  assertEquals(read.code, 0, read.stderr);
  assertEquals((await login(urlIn(read.stdout)!)).access, "read", "a read-only caller's default");
  const refused = await runOrch("/", ["ui", "--host", listen], {
    ORCH_TOKEN: tokens.readOnly + "x",
  });
  assertEquals(refused.code, 1);
  assertMatch(refused.stderr, /bearer token/);
  // The long-lived tokens log in too, and are not used up.
  for (let i = 0; i < 2; i++) {
    const viaToken = await login(`http://${listen}/ui/login?token=${tokens.readOnly}`);
    assertEquals(viaToken.access, "read");
  }
});

Deno.test("up --ui in the foreground prints the URL on stderr", async () => {
  await using p = await project(STACK);
  const [program, ...args] = orchArgv();
  const child = new Deno.Command(program, {
    args: [...args, "up", "--no-tui", "--ui"],
    cwd: p.path,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  try {
    const text = await readUntil(
      reader,
      (t) => urlIn(t) !== undefined && /\n/.test(t.slice(t.indexOf("/ui/login"))),
      "the login URL on stderr",
      { ms: 30_000 },
    );
    assertEquals((await login(urlIn(text)!)).access, "admin");
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await reader.cancel().catch(() => {});
  }
});
