/**
 * src/config/vendor/*.gen.js are the `yaml` and `zod` packages at the versions deno.lock holds
 * (tools/vendor.ts), they behave as the packages do, and the zod bundle holds every member src/
 * calls.
 */
import { assert, assertEquals } from "../assert.ts";
import { buildVendored, outputOf, ZOD_MEMBERS } from "../../tools/vendor.ts";
import * as vendoredYaml from "../../src/config/vendor/yaml.gen.js";
import * as vendoredZod from "../../src/config/vendor/zod.gen.js";
import * as npmYaml from "yaml";
import { z as npmZod } from "zod";

for (const name of ["yaml", "zod"] as const) {
  Deno.test(`src/config/vendor/${name}.gen.js is the locked ${name}'s build (else run deno task vendor)`, async () => {
    const built = await buildVendored(name);
    const committed = await Deno.readTextFile(outputOf(name));
    assert(
      built === committed,
      `src/config/vendor/${name}.gen.js is stale: deno.lock's ${name} or tools/vendor.ts changed since it was built; run \`deno task vendor\``,
    );
  });
}

Deno.test("the vendored yaml parses, locates and writes as the npm package does", () => {
  const text = [
    "base: &base { a: 1, b: [x, y] }",
    "merged:",
    "  <<: *base",
    "  c: 'q'",
    "when: 2001-12-14",
    "multi: |",
    "  one",
    "  two",
    "bad: [1, 2",
  ].join("\n");
  for (const options of [{ merge: true }, { merge: true, version: "1.1" as const }]) {
    const a = vendoredYaml.parseDocument(text, options);
    const b = npmYaml.parseDocument(text, options);
    assertEquals(
      a.errors.map((e) => [e.code, e.linePos]),
      b.errors.map((e) => [e.code, e.linePos]),
    );
    assertEquals(a.toJS(), b.toJS());
  }
  const good = "base: &base { a: 1 }\nmerged: { <<: *base, c: 2 }\nlist: [1, two, null]\n";
  assertEquals(vendoredYaml.parse(good, { merge: true }), npmYaml.parse(good, { merge: true }));
  const data = { s: "a: b", n: 1, list: [true, null], nested: { "k y": "multi\nline" } };
  assertEquals(vendoredYaml.stringify(data), npmYaml.stringify(data));
});

Deno.test("the vendored zod validates and words its issues as the npm package does", () => {
  const build = (z: typeof npmZod) =>
    z.strictObject({
      name: z.string().min(1),
      port: z.number().int().optional(),
      mode: z.enum(["a", "b"]),
      tags: z.array(z.union([z.string(), z.literal(1)])),
      env: z.record(z.string(), z.string()),
      any: z.looseObject({ k: z.boolean().default(false) }),
      none: z.null().optional(),
      pre: z.preprocess((v) => (typeof v === "number" ? String(v) : v), z.string()).optional(),
    });
  const input = {
    name: "",
    port: 1.5,
    mode: "c",
    tags: [2],
    env: { a: 1 },
    any: { k: "x", extra: 1 },
    none: 0,
    pre: 7,
    unknownKey: true,
  };
  const ours = build(vendoredZod as unknown as typeof npmZod).safeParse(input);
  const theirs = build(npmZod).safeParse(input);
  assert(!ours.success && !theirs.success);
  assertEquals(ours.error.issues, theirs.error.issues);
  const good = { name: "x", mode: "a", tags: ["t", 1], env: {}, any: {}, pre: 3 };
  assertEquals(
    build(vendoredZod as unknown as typeof npmZod).parse(good),
    build(npmZod).parse(good),
  );
});

/** The `z.NAME` members src/ uses, file by file. */
async function zodMembersUsed(): Promise<Map<string, string>> {
  const used = new Map<string, string>();
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ts")) {
        const text = await Deno.readTextFile(path);
        if (!/import (type )?\{ z \} from "[./]*vendor\/zod\.ts"/.test(text)) continue;
        for (const m of text.matchAll(/\bz\.([A-Za-z_$][\w$]*)/g)) used.set(m[1], path);
      }
    }
  };
  await walk(new URL("../../src", import.meta.url).pathname);
  return used;
}

Deno.test("every zod member src/ calls is in the vendored bundle (else add it to ZOD_MEMBERS)", async () => {
  // Names used only as types: zod's declarations give them, the bundle needs none.
  const typesOnly = new Set(["ZodType", "output", "input", "infer", "core"]);
  const held = new Set(Object.keys(vendoredZod));
  assertEquals([...held].sort(), [...ZOD_MEMBERS].sort());
  const missing = [...await zodMembersUsed()]
    .filter(([name]) => !held.has(name) && !typesOnly.has(name))
    .map(([name, file]) => `z.${name} (${file})`);
  assertEquals(missing, [], "add these to ZOD_MEMBERS in tools/vendor.ts, then deno task vendor");
  const used = await zodMembersUsed();
  assert(used.has("strictObject") && used.has("string"), "the scan finds src/'s schemas");
});
