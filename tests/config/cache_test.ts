import { assert, assertEquals, assertRejects } from "../assert.ts";
import { decode, encode } from "../../src/config/cached/cache.ts";
import {
  LOAD_REQUEST_ENV,
  loadProjectCached,
  loadRecorded,
  type LoadRequest,
} from "../../src/config/cached/mod.ts";
import { orchArgv } from "../../src/testing/cli.ts";
import type { Project } from "../../src/config/mod.ts";
import { ConfigError } from "../../src/domain/errors.ts";
import { tempDir } from "../../src/testing/recorder.ts";

const STACK = (command: string) => `version: 0.1\nservices:\n  web:\n    command: "${command}"\n`;

/** An environment of `vars`, as a lookup. */
const envOf = (vars: Record<string, string>) => (name: string) =>
  Object.hasOwn(vars, name) ? vars[name] : undefined;

async function entryFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(`${dir}/.orch/cache`)) names.push(e.name);
  } catch {
    // no cache directory
  }
  return names.sort();
}

/**
 * Rewrites the one cache entry's text (its dependencies untouched), so that a load that returns
 * the rewritten value shows it came from the cache.
 */
async function tamper(dir: string, from: string, to: string): Promise<void> {
  const [name] = (await entryFiles(dir)).filter((n) => n.endsWith(".json"));
  assert(name, `no cache entry in ${dir}/.orch/cache`);
  const path = `${dir}/.orch/cache/${name}`;
  const text = await Deno.readTextFile(path);
  assert(text.includes(from), `${from} not in the entry`);
  await Deno.writeTextFile(path, text.replaceAll(from, to));
}

const commandOf = (project: Project) => project.stack.services.web.command;

async function load(request: LoadRequest, env = envOf({})): Promise<Project> {
  return await loadProjectCached(request, { env });
}

Deno.test("an unchanged config comes from the cache; its entry is private and written whole", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/orch.yaml`, STACK("sleep 1"));
  const request = { files: [], cwd: dir.path };
  const first = await load(request);
  const names = await entryFiles(dir.path);
  assertEquals(names.length, 1, `one entry, no temporary file: ${names}`);
  assertEquals((await Deno.stat(`${dir.path}/.orch/cache/${names[0]}`)).mode! & 0o777, 0o600);
  assertEquals((await Deno.stat(`${dir.path}/.orch/cache`)).mode! & 0o777, 0o700);
  assertEquals(await load(request), first);
  await tamper(dir.path, "sleep 1", "sleep 7");
  assert(
    JSON.stringify(commandOf(await load(request))).includes("sleep 7"),
    "served from the cache",
  );
});

Deno.test("a changed file, even of the same size and time, is loaded again", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/orch.yaml`;
  await Deno.writeTextFile(file, STACK("sleep 1"));
  const { mtime } = await Deno.stat(file);
  const request = { files: [], cwd: dir.path };
  await load(request);
  await tamper(dir.path, "sleep 1", "sleep 7");
  await Deno.writeTextFile(file, STACK("sleep 2"));
  await Deno.utime(file, mtime!, mtime!);
  assert(JSON.stringify(commandOf(await load(request))).includes("sleep 2"));
});

Deno.test("a variable the config looked up, set, changed or unset, makes it load again", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/orch.yaml`, STACK("sleep ${NAP:-1}"));
  const request = { files: [], cwd: dir.path };
  const show = async (vars: Record<string, string>) =>
    JSON.stringify(commandOf(await load(request, envOf(vars))));
  assert((await show({})).includes("sleep 1"));
  assert((await show({ NAP: "5" })).includes("sleep 5"));
  assert((await show({ NAP: "6" })).includes("sleep 6"));
  assert((await show({})).includes("sleep 1"));
  // A variable the config does not name changes nothing: the entry is used.
  await tamper(dir.path, "sleep 1", "sleep 9");
  assert((await show({ OTHER: "x" })).includes("sleep 9"));
});

Deno.test("a .env file or a default file of higher rank appearing makes it load again", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/stack.yaml`, STACK("sleep ${NAP:-1}"));
  const request = { files: [], cwd: dir.path };
  const show = async () => JSON.stringify(commandOf(await load(request)));
  assert((await show()).includes("sleep 1"));
  await Deno.writeTextFile(`${dir.path}/.env`, "NAP=3\n");
  assert((await show()).includes("sleep 3"));
  await Deno.writeTextFile(`${dir.path}/orch.yaml`, STACK("sleep 4"));
  assert((await show()).includes("sleep 4"));
});

Deno.test("a config with errors is never cached: each load reports every error, located", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/orch.yaml`;
  const request = { files: [], cwd: dir.path };
  await Deno.writeTextFile(file, STACK("sleep 1"));
  await load(request);
  const bad = `version: 0.1\nservices:\n  web:\n    command: "true"\n    replicas: many\n`;
  await Deno.writeTextFile(file, bad);
  for (let i = 0; i < 2; i++) {
    const error = await assertRejects(() => load(request), ConfigError) as ConfigError;
    const issue = error.issues.find((x) => x.path.includes("replicas"));
    assert(issue, `an issue on replicas: ${JSON.stringify(error.issues)}`);
    assertEquals([issue.file, issue.line, issue.column], [file, 5, 15]);
    assertEquals(issue.path, "services.web.replicas");
  }
});

Deno.test("an entry others may write, or a link, is not used; the cache can be turned off", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/orch.yaml`, STACK("sleep 1"));
  const request = { files: [], cwd: dir.path };
  await load(request);
  await tamper(dir.path, "sleep 1", "sleep 7");
  const [name] = await entryFiles(dir.path);
  const path = `${dir.path}/.orch/cache/${name}`;
  await Deno.chmod(path, 0o666);
  assert(JSON.stringify(commandOf(await load(request))).includes("sleep 1"), "a writable entry");
  await tamper(dir.path, "sleep 1", "sleep 7");
  await Deno.rename(path, `${dir.path}/elsewhere.json`);
  await Deno.chmod(`${dir.path}/elsewhere.json`, 0o600);
  await Deno.symlink(`${dir.path}/elsewhere.json`, path);
  assert(JSON.stringify(commandOf(await load(request))).includes("sleep 1"), "a link");
  await Deno.remove(`${dir.path}/.orch`, { recursive: true });
  const off = envOf({ ORCH_CONFIG_CACHE: "off" });
  await load(request, off);
  assertEquals(await entryFiles(dir.path), []);
});

Deno.test("with no cache directory the other process starts at once, and its entry is kept", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/orch.yaml`, STACK("sleep 1"));
  const request = { files: [], cwd: dir.path };
  const env = envOf({});
  let calls = 0;
  const options = {
    env,
    elsewhere: async (r: LoadRequest) => {
      calls++;
      return (await loadRecorded(r, env)).entry;
    },
  };
  const first = loadProjectCached(request, options);
  const atOnce = calls;
  assert(JSON.stringify(commandOf(await first)).includes("sleep 1"));
  assertEquals(atOnce, 1, "started before anything was awaited");
  assertEquals((await entryFiles(dir.path)).length, 1, "the entry is written");
  // With a cache directory, its entry is looked up first: the other process starts only on a miss.
  await Deno.writeTextFile(`${dir.path}/orch.yaml`, STACK("sleep 2"));
  const second = loadProjectCached(request, options);
  const before = calls;
  assert(JSON.stringify(commandOf(await second)).includes("sleep 2"));
  assertEquals(before, 1, "not before the cache was read");
  assertEquals(calls, 2);
  await tamper(dir.path, "sleep 2", "sleep 7");
  assert(
    JSON.stringify(commandOf(await loadProjectCached(request, options))).includes("sleep 7"),
    "from the cache",
  );
  assertEquals(calls, 2);
});

Deno.test("cached values keep null prototypes, undefined, non-finite numbers, frozenness, __proto__ keys", () => {
  const table = Object.assign(Object.create(null), { a: 1 });
  const odd = JSON.parse('{"__proto__": "key"}');
  const value = Object.freeze({
    table,
    missing: undefined,
    numbers: [NaN, Infinity, -Infinity, -0, 1.5],
    odd,
    nested: Object.freeze([Object.freeze({ x: "y" })]),
  });
  const back = decode(JSON.parse(JSON.stringify(encode(value)))) as typeof value;
  assertEquals(Object.getPrototypeOf(back.table), null);
  assertEquals(back.table.a, 1);
  assert("missing" in back && back.missing === undefined);
  assert(Number.isNaN(back.numbers[0]));
  assertEquals(back.numbers.slice(1, 3), [Infinity, -Infinity]);
  assert(Object.is(back.numbers[3], -0));
  assertEquals(Object.keys(back.odd), ["__proto__"]);
  assertEquals(Object.getPrototypeOf(back.odd), Object.prototype);
  assert(Object.isFrozen(back) && Object.isFrozen(back.nested) && Object.isFrozen(back.nested[0]));
  assert(!Object.isFrozen(back.table));
  let threw = false;
  try {
    encode({ when: new Date() });
  } catch {
    threw = true;
  }
  assert(threw, "a class instance is not cached");
});

Deno.test("the loader process takes its request from its environment, which the config does not see", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/orch.yaml`, STACK("echo [${ORCH_LOAD_REQUEST:-unset}]"));
  // As `up` starts it (src/cli/self.ts), with this checkout's main.ts.
  const [command, ...args] = [...orchArgv(), "__load-config"];
  const out = await new Deno.Command(command, {
    args,
    env: { [LOAD_REQUEST_ENV]: JSON.stringify({ files: [], cwd: dir.path }) },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  const entry = JSON.parse(new TextDecoder().decode(out.stdout));
  assert(JSON.stringify(commandOf(decode(entry.value) as Project)).includes("[unset]"));
  // Looked up by the config, and unset, as in the asking process: the entry holds there.
  assertEquals(
    entry.deps.env.filter(([name]: [string]) => name === LOAD_REQUEST_ENV),
    [[LOAD_REQUEST_ENV, null]],
  );
});
