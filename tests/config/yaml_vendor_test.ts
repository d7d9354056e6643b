/**
 * src/config/vendor/yaml.gen.js is the `yaml` package's ES module build at the version deno.lock
 * holds (tools/vendor_yaml.ts), and it reads YAML as the package does.
 */
import { assert, assertEquals } from "../assert.ts";
import { buildYaml, OUTPUT } from "../../tools/vendor_yaml.ts";
import * as vendored from "../../src/config/vendor/yaml.gen.js";
import * as npm from "yaml";

Deno.test("src/config/vendor/yaml.gen.js is the locked yaml's build (else run deno task vendor)", async () => {
  const built = await buildYaml();
  const committed = await Deno.readTextFile(OUTPUT);
  assert(
    built === committed,
    "src/config/vendor/yaml.gen.js is stale: deno.lock's yaml changed since it was built; run `deno task vendor`",
  );
});

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
    const a = vendored.parseDocument(text, options);
    const b = npm.parseDocument(text, options);
    assertEquals(
      a.errors.map((e) => [e.code, e.linePos]),
      b.errors.map((e) => [e.code, e.linePos]),
    );
    assertEquals(a.toJS(), b.toJS());
  }
  const good = "base: &base { a: 1 }\nmerged: { <<: *base, c: 2 }\nlist: [1, two, null]\n";
  assertEquals(vendored.parse(good, { merge: true }), npm.parse(good, { merge: true }));
  const data = { s: "a: b", n: 1, list: [true, null], nested: { "k y": "multi\nline" } };
  assertEquals(vendored.stringify(data), npm.stringify(data));
});
