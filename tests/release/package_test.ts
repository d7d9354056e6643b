/**
 * The shapes orch ships in: the JSR package (`deno publish --dry-run` clean, the CLI as its
 * default export, the library under ./lib), code that compiles into one binary (no dynamic import
 * outside the module graph, nothing read from the source tree), and the one-file bundle, run
 * from a directory that has nothing of the repository.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { ROOT } from "../../src/testing/cli.ts";
import { tempDir } from "../../src/testing/recorder.ts";

const decode = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("deno publish --dry-run is clean: no slow types, no warnings, no tests in the package", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = decode(out.stdout) + decode(out.stderr);
  assertEquals(out.code, 0, text);
  assertMatch(text, /Dry run complete/);
  assert(!/warning/i.test(text), text);
  const files = [...text.matchAll(/file:\/\/\S+/g)].map((m) => m[0].slice(`file://${ROOT}`.length));
  assert(files.includes("main.ts") && files.includes("mod.ts"), files.join("\n"));
  for (const file of files) assert(!/^(tests|bench|src\/testing|tools)\//.test(file), file);
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  assertEquals(config.exports, { ".": "./main.ts", "./lib": "./mod.ts" });
});

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) out.push(...await sources(path));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

Deno.test("compile-clean: every dynamic import is a literal, nothing is read beside the code", async () => {
  const files = [`${ROOT}main.ts`, `${ROOT}mod.ts`, ...await sources(`${ROOT}src`)]
    .filter((f) => !f.includes("/src/testing/"));
  const problems: string[] = [];
  for (const file of files) {
    const text = await Deno.readTextFile(file);
    const rel = file.slice(ROOT.length);
    for (const m of text.matchAll(/\bimport\(\s*([^)]*)\)/g)) {
      if (!/^["'][^"'`$]+["']$/.test(m[1].trim())) problems.push(`${rel}: import(${m[1]})`);
    }
    // A file beside the code (import.meta.url, import.meta.dirname) is not in a compiled binary.
    if (/import\.meta\.(url|dirname|filename)/.test(text)) {
      problems.push(`${rel}: import.meta path`);
    }
  }
  assertEquals(problems, []);
});

Deno.test("the bundle is one file that runs orch from anywhere: --version, validate, up", async () => {
  await using dir = await tempDir();
  const bundle = `${dir.path}/orch.js`;
  const built = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--output", bundle, `${ROOT}main.ts`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(built.code, 0, decode(built.stderr));
  await Deno.mkdir(`${dir.path}/project`);
  await Deno.writeTextFile(
    `${dir.path}/project/orchestrate.toml`,
    `[[task]]\nname = "hello"\ncmd = "echo hello from the bundle"\n`,
  );
  const run = async (...args: string[]) => {
    // No read access to the repository: the bundle must hold everything it needs (`up` takes
    // every permission, so it runs from a copy outside the repository instead).
    const deny = args[0] === "up" ? [] : [`--deny-read=${ROOT}`];
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", ...deny, bundle, ...args],
      cwd: `${dir.path}/project`,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, text: decode(out.stdout) + decode(out.stderr) };
  };
  const version = await run("--version");
  assertMatch(version.text, /^orch \d+\.\d+\.\d+\n$/);
  assertEquals((await run("validate", "-q")).code, 0);
  const up = await run("up", "--no-tui");
  assertEquals(up.code, 0, up.text);
  assertMatch(up.text, /hello +\| hello from the bundle/);
});
