/**
 * orch as PID 1 of a real container: the minimal image examples/container/build.sh makes (orch's
 * bundle, the Deno runtime and the libraries it links, busybox for the services; no Node, no
 * package manager), on the real engine. Gated like tests/docker: skipped with a message without an
 * engine, a failure with ORCH_DOCKER_TESTS=require (as `.ci/run` sets).
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { MAIN, ROOT } from "../../src/testing/cli.ts";
import { eventually } from "../../src/testing/namespace.ts";
import { tempDir } from "../../src/testing/recorder.ts";

const IMAGE = "orch:test";
const required = Deno.env.get("ORCH_DOCKER_TESTS") === "require";

async function docker(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = await new Deno.Command("docker", { args, stdout: "piped", stderr: "piped" })
    .output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, out: decode(out.stdout), err: decode(out.stderr) };
}

async function buildImage(): Promise<string | undefined> {
  try {
    const ping = await docker("version", "--format", "{{.Server.Version}}");
    if (ping.code !== 0) return `no Docker engine: ${ping.err.trim()}`;
  } catch (error) {
    return `no docker CLI: ${(error as Error).message}`;
  }
  const bundle: Record<string, string> = MAIN.endsWith("main.ts") ? {} : { ORCH_BUNDLE: MAIN };
  const built = await new Deno.Command("bash", {
    args: [`${ROOT}examples/container/build.sh`, "test"],
    env: bundle,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (built.code !== 0) {
    throw new Error(`build.sh failed:\n${new TextDecoder().decode(built.stderr)}`);
  }
  return undefined;
}

const problem = await buildImage();
if (problem && !required) console.error(`tests/container: SKIPPED: ${problem}`);

function imageTest(name: string, fn: () => Promise<void>) {
  Deno.test({
    name: `container: ${name}`,
    ignore: problem !== undefined && !required,
    async fn() {
      if (problem) throw new Error(`a Docker engine is required: ${problem}`);
      await fn();
    },
  });
}

/** A running container, removed on dispose. */
async function run(args: string[]): Promise<AsyncDisposable & { id: string }> {
  const started = await docker("run", "-d", "--label", "orch-test=image", ...args);
  assertEquals(started.code, 0, started.err);
  const id = started.out.trim();
  return {
    id,
    async [Symbol.asyncDispose]() {
      await docker("rm", "-f", id);
    },
  };
}

/** Follows the container's output until `pattern` matches it. */
async function logsUntil(id: string, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const child = new Deno.Command("docker", {
    args: ["logs", "-f", id],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const timer = setTimeout(() => child.kill(), timeoutMs);
  const read = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      if (pattern.test(text)) {
        try {
          child.kill();
        } catch {
          // ended
        }
      }
    }
  };
  await Promise.all([read(child.stdout), read(child.stderr), child.status]);
  clearTimeout(timer);
  if (!pattern.test(text)) throw new Error(`no ${pattern} in the container's output:\n${text}`);
  return text;
}

imageTest(
  "orch is PID 1 of a [[services]] stack: probes pass, `orch status` works, docker stop is clean",
  async () => {
    await using c = await run([IMAGE]);
    await logsUntil(c.id, /worker ready/);
    const cmdline = await docker("exec", c.id, "cat", "/proc/1/cmdline");
    assertMatch(cmdline.out, /^\/usr\/bin\/deno\0run\0-A\0\/opt\/orch\/orch\.js\0up/);
    // `orch` was not on the PATH: orch as PID 1 installed it, with the entrypoint link.
    const status = await docker("exec", c.id, "orch", "status", "--json");
    assertEquals(status.code, 0, status.err);
    const instances = JSON.parse(status.out).instances as { service: string; state: string }[];
    assertEquals(instances.map((i) => [i.service, i.state]), [["web", "ready"], [
      "worker",
      "ready",
    ]]);
    assertEquals((await docker("exec", c.id, "entrypoint", "--version")).out.trim(), "orch 0.1.0");
    const began = performance.now();
    const stop = await docker("stop", "-t", "20", c.id);
    const took = performance.now() - began;
    assertEquals(stop.code, 0, stop.err);
    assert(took < 10_000, `docker stop took ${Math.round(took)} ms of its 20 s`);
    const exit = await docker("inspect", "-f", "{{.State.ExitCode}}", c.id);
    assertEquals(exit.out.trim(), "0");
    const logs = (await docker("logs", c.id)).out;
    assertMatch(logs, /SIGTERM: stopping/);
    assert(logs.indexOf("worker stopped") < logs.indexOf("web stopping"), logs);
    assertMatch(logs, /web stopped/);
  },
);

imageTest(
  "a failing required service ends the container with that service's exit code",
  async () => {
    await using dir = await tempDir();
    await Deno.chmod(dir.path, 0o755);
    await Deno.writeTextFile(
      `${dir.path}/services.toml`,
      `[[services]]\nname = "web"\ncommand = "httpd"\nargs = ["-f", "-p", "8080"]\n\n` +
        `[[services]]\nname = "job"\ncommand = "sh"\nargs = ["-c", "sleep 0.5; exit 7"]\n` +
        `required = true\n`,
    );
    await using c = await run([
      "-v",
      `${dir.path}:/stack`,
      IMAGE,
      "up",
      "-f",
      "/stack/services.toml",
    ]);
    const waited = await docker("wait", c.id);
    assertEquals(waited.out.trim(), "7", (await docker("logs", c.id)).out);
    assertMatch((await docker("logs", c.id)).out, /required service "job" failed: exit code 7/);
  },
);

imageTest("orphans made inside the container are reaped by orch", async () => {
  await using dir = await tempDir();
  await Deno.chmod(dir.path, 0o777);
  await Deno.writeTextFile(
    `${dir.path}/services.toml`,
    `[[services]]\nname = "maker"\ncommand = "sh"\nargs = ["-c", ` +
      `"for i in $(seq 100); do (sh -c 'echo x >> /stack/orphans.log' &); done; exec sleep 300"]\n`,
  );
  await using c = await run([
    "-v",
    `${dir.path}:/stack`,
    IMAGE,
    "up",
    "-f",
    "/stack/services.toml",
  ]);
  const lines = async () =>
    (await Deno.readTextFile(`${dir.path}/orphans.log`).catch(() => "")).split("\n").length - 1;
  await eventually(async () => await lines() === 100, "100 orphans to have run", 30_000);
  const zombies = async () => {
    const stat = await docker("exec", c.id, "sh", "-c", "cat /proc/[0-9]*/stat");
    return stat.out.split("\n").filter((l) => /\) Z /.test(l)).length;
  };
  await eventually(async () => await zombies() === 0, "no zombie in the container", 10_000);
});

Deno.test("examples/container/Dockerfile copies what is there and runs orch as its entrypoint", async () => {
  const dir = `${ROOT}examples/container`;
  const text = await Deno.readTextFile(`${dir}/Dockerfile`);
  const copies = [...text.matchAll(/^COPY\s+(.+)\s+\S+$/gm)].flatMap((m) => m[1].split(/\s+/));
  // `orch` is the release binary the user puts beside the Dockerfile; the rest is here.
  for (const source of copies.filter((s) => s !== "orch")) {
    assert((await Deno.stat(`${dir}/${source}`).catch(() => undefined)) !== undefined, source);
  }
  assert(copies.includes("orch"));
  assertMatch(text, /^ENTRYPOINT \["orch"\]$/m);
  assertMatch(text, /^CMD \["up", "-f", "\/app\/services\.toml", "-f", "\/app\/probes\.yaml"\]$/m);
});
