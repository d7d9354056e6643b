/** The generated asset module is what `deno task web` builds from src/web/page/ now. */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { buildAssets, OUTPUT } from "../../tools/build_web.ts";
import { ASSETS } from "../../src/web/assets.gen.ts";
import { assetPaths } from "../../src/web/assets.ts";

Deno.test("src/web/assets.gen.ts is up to date with src/web/page/ (else run deno task web)", async () => {
  const built = await buildAssets();
  const committed = await Deno.readTextFile(OUTPUT);
  assert(
    built === committed,
    "src/web/assets.gen.ts is stale: the page's sources changed since it was built; run `deno task web`",
  );
});

Deno.test("the page loads only its hashed script and style sheet, and no inline script", () => {
  const paths = assetPaths(ASSETS.hash);
  assertMatch(ASSETS.hash, /^[0-9a-f]{16}$/);
  assert(ASSETS.html.includes(`<script type="module" src="${paths.js}"></script>`), ASSETS.html);
  assert(ASSETS.html.includes(`href="${paths.css}"`));
  assertEquals(ASSETS.html.match(/<script/g)?.length, 1, "one script element, with src");
  assert(!/\son[a-z]+=/i.test(ASSETS.html), "no inline handler");
  assert(!/<style/i.test(ASSETS.html), "no inline style element");
});

Deno.test("the script is built for the browser: no Deno API, no import left to load", () => {
  assert(ASSETS.js.length > 1000);
  assert(!/\bDeno\./.test(ASSETS.js), "the bundle uses no Deno API");
  assert(!/\bimport\s*[\s{*"'(]/.test(ASSETS.js.replace(/import\.meta/g, "")), "no import left");
  assert(
    !/innerHTML|outerHTML|insertAdjacentHTML|document\.write/.test(ASSETS.js),
    "no markup from strings",
  );
  assert(
    !/https?:\/\/(?!www\.w3\.org\/2000\/svg)/.test(ASSETS.js),
    "nothing loaded from the network",
  );
});
