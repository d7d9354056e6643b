/**
 * src/config/vendor/yaml.gen.js is the `yaml` package at the version deno.lock holds
 * (tools/vendor.ts), and it behaves as the package does.
 */
import { assert, assertEquals } from "../assert.ts";
import { buildVendored, outputOf } from "../../tools/vendor.ts";
import * as vendoredYaml from "../../src/config/vendor/yaml.gen.js";
import * as npmYaml from "yaml";

for (const name of ["yaml"] as const) {
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
