/**
 * The subset reader against the `yaml` package: for any text it reads, the data (key order, -0,
 * NaN) and every path's position, key and value, must be the package's; anything else it must
 * leave to the package. Hand-written cases, the repository's YAML files, seeded random documents
 * in many styles, and random edits of those.
 */
import { assert, assertEquals } from "../assert.ts";
import { parseLite, resolvePlain } from "../../src/config/yaml_lite.ts";
import { parseYamlSource } from "../../src/config/source_yaml.ts";
import { type Random, seeded } from "../../src/testing/random.ts";

function same(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") return Object.is(a, b);
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  }
  if (a !== null && typeof a === "object") {
    if (b === null || typeof b !== "object" || Array.isArray(b)) return false;
    const [ka, kb] = [Object.keys(a), Object.keys(b)];
    const [ra, rb] = [a as Record<string, unknown>, b as Record<string, unknown>];
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && same(ra[k], rb[k]));
  }
  return a === b;
}

/** Every path into `value`, and one past each list's end and one missing key per table. */
function* paths(value: unknown, path: (string | number)[] = []): Generator<(string | number)[]> {
  yield path;
  if (Array.isArray(value)) {
    for (let i = 0; i <= value.length; i++) yield* paths(value[i], [...path, i]);
    yield [...path, "x"];
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) yield* paths(v, [...path, k]);
    yield [...path, "missing"];
  }
}

/** "lite" when the subset read the text as the package does, "package" when it left it, or why. */
function agree(text: string): string {
  const lite = parseLite(text);
  if (!lite) return "package";
  const full = parseYamlSource("f.yaml", text);
  if (!full.ok) return `read, but the package refuses it: ${full.issues[0].message}`;
  const data = full.source.data;
  if (!same(lite.data, data)) {
    return `data ${JSON.stringify(lite.data)}, the package's ${JSON.stringify(data)}`;
  }
  for (const path of paths(data)) {
    for (const key of [false, true]) {
      const [a, b] = [lite.locate(path, { key }), full.source.locate(path, { key })];
      if (JSON.stringify(a) !== JSON.stringify(b)) {
        return `${JSON.stringify(path)}${key ? " (key)" : ""} at ${JSON.stringify(a)}, ` +
          `the package's ${JSON.stringify(b)}`;
      }
    }
  }
  return "lite";
}

const check = (text: string, expected: "lite" | "package") =>
  assertEquals(agree(text), expected, `for ${JSON.stringify(text)}`);

Deno.test("the subset reads the common forms as the yaml package does", () => {
  const cases = [
    "a: 1\nb: two\nc:\n  d: [x, 'y', \"z\"]\n  e: { f: 1.5, g: null }\n",
    "list:\n- a\n- b: 1\n  c: 2\n-\n- \n",
    "list:\n  -   a: 1\n      b:\n      - x\n  - # nothing\n  - ''\n",
    'k: v # comment\n# between\n\nq: "a \\"b\\" \\u00e9 \\x41 \\U0001F600 \\t\\n\\\\"\n',
    "s: 'it''s'\nt: a:b\nu: a#b\nv: -1\nw: --flag\nx: http://h:80/p?q#f\n",
    "n: [~, null, Null, NULL, true, False, 0o17, 0x1F, -0, +12, 1e3, .5, 1., -.inf, .NaN]\n",
    "n2: [0o8, 0x, 1_000, 1e, yes, no, on, '1', \"true\", 012, 00]\n",
    "lit: |\n  one\n    two\n\n  three\nclip: |\n  x\n\n\nkeep: |+\n  x\n\nstrip: |-\n  x\n\nz: 1\n",
    "fold: >\n  a\n  b\n\n  c\n\n\n  d\nf2: >-\n  x\n  y\n",
    "lead: |\n\n  after a blank\nend: |+\n  kept\n\n",
    '"quoted key": 1\n\'single key\': 2\n"": empty\nkey with spaces : 3\n',
    "a:\n  # only a comment\n  b: 1\nc:   \nd:   # c\n",
    "a:\n  scalar on its own line\nb:\n  {x: 1}\n",
    "constructor: 1\ntoString: 2\nhasOwnProperty: [3]\n",
    "u: caf\u00e9 \u4e2d\u6587 \ud83d\ude00\n",
    "# empty\n\n",
    "- a\n- b\n",
    "a: 'x' # c\nb: [1, [2, {c: d}], []] # c\nc: {}\n",
  ];
  for (const text of cases) check(text, "lite");
  const leftToThePackage = [
    "a: &x 1\nb: *x\n",
    "<<: {a: 1}\n",
    "a: !!str 1\n",
    "---\na: 1\n",
    "%YAML 1.2\n---\na: 1\n",
    "a: 1\n...\n",
    "a:\tb\n",
    "a: b\t# c\n",
    "a: 1\r\nb: 2\r\n",
    "\ufeffa: 1\n",
    "a: 1\na: 2\n",
    "1: a\n",
    "true: a\n",
    "__proto__: 1\n",
    "a: b\n  c\n",
    'a: "b\n  c"\n',
    "a: [1,\n  2]\n",
    "a: b: c\n",
    "a: [1, 2,]\n",
    "a: {b}\n",
    "a: |2\n   x\n",
    "a: >\n  x\n    more\n  y\n",
    "a: |\n",
    "a: |\n  x",
    "? a\n: b\n",
    "a: 'x' y\n",
    "just a scalar\n",
    "a: 1\n - b\n",
    "a: @x\n",
    "a: `x`\n",
    'a: "\\q"\n',
    "x".repeat(1100) + ": 1\n",
    "a:\n" + "k".repeat(1024) + ": 1\n",
    "x:\n  a:\n  " + "k".repeat(1022) + ": 1\n",
    "a:\n#c\n  r\nb: 1\n",
    "-\n#c\n  r\n- s\n",
    "x:\n  a:\n  #c\n    r\n  b: 1\n",
    "a:\n" + "[".repeat(100) + "]".repeat(100) + "\n",
  ];
  for (const text of leftToThePackage) check(text, "package");
});

Deno.test("the subset reads the repository's YAML files as the yaml package does", async () => {
  const root = new URL("../../", import.meta.url).pathname;
  const files: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (/\.ya?ml$/.test(entry.name)) files.push(path);
    }
  };
  await walk(root + "examples");
  await walk(root + "tests");
  let read = 0;
  for (const file of files) {
    const outcome = agree(await Deno.readTextFile(file));
    assert(outcome === "lite" || outcome === "package", `${file}: ${outcome}`);
    if (outcome === "lite") read++;
  }
  // Nearly all of them are in the subset (a compose file with anchors is not).
  assert(read >= files.length - 3 && read > 10, `read ${read} of ${files.length}`);
});

/** Scalars that look like other types, carry indicators, quotes, escapes or non-ASCII. */
const SCALARS = [
  "a",
  "plain words",
  "x:y",
  "a#b",
  "-x",
  "--",
  "1",
  "-0",
  "+7",
  "012",
  "0o7",
  "0x1f",
  "1.5",
  "1.",
  ".5",
  "1e3",
  "-1E-3",
  ".inf",
  "-.Inf",
  ".nan",
  "~",
  "null",
  "Null",
  "true",
  "FALSE",
  "yes",
  "",
  " lead",
  "trail ",
  "a: b",
  "a #b",
  "#x",
  "'q'",
  '"dq"',
  "it's",
  "back\\slash",
  "tab\there",
  "nl\nin",
  "café",
  "\u2028",
  "\x85",
  "\xa0",
  "😀",
  "[x]",
  "{y}",
  "a,b",
  "&a",
  "*a",
  "!t",
  "|",
  ">",
  "%",
  "@",
  "`",
  "?",
  ":",
  "- x",
  "? x",
  "a:",
  "a ",
  "<<",
  "__proto__",
  "0",
  "-",
  "x".repeat(30),
];

/** A scalar in one of the three styles: plain for most safe ones, quoted for most others. */
function scalar(random: Random, value: string): string {
  // A plain scalar that is not safe may leave the subset (or be read wrong: the test's point).
  const plain = /^[\w. -]*$/.test(value) ? random.int(3) > 0 : random.int(5) === 0;
  if (plain) return value;
  return random.int(2) === 0
    ? JSON.stringify(value).replace(/\\u00([0-9a-f]{2})/g, "\\x$1")
    : `'${value.replaceAll("'", "''")}'`;
}

/** Keys as config files have them, mostly. */
const KEYS = ["name", "image", "k-1", "a.b", "x_y", "with space", "café", "CamelCase", "-x", "a/b"];

function tree(random: Random, depth: number): unknown {
  const pick = random.int(depth > 3 ? 2 : 8);
  if (pick < 2) return random.pick(SCALARS);
  if (pick < 5) {
    const map: Record<string, unknown> = Object.create(null);
    for (let i = random.int(4); i >= 0; i--) {
      map[random.pick(random.int(5) === 0 ? SCALARS : KEYS)] = tree(random, depth + 1);
    }
    return map;
  }
  return Array.from({ length: random.int(4) }, () => tree(random, depth + 1));
}

const pad = (n: number) => " ".repeat(n);

/** Renders in block style with random indentation, comments, blank lines and inline flows. */
function render(random: Random, value: unknown, indent: number): string {
  if (typeof value === "string") {
    if (random.int(6) === 0 && !value.includes("\n") && value.trim() === value && value !== "") {
      const style = random.pick(["|", "|-", "|+", ">", ">-"]);
      return `${style}\n${pad(indent + 1 + random.int(2))}${value}\n`;
    }
    return `${scalar(random, value)}${random.int(5) === 0 ? " # note" : ""}\n`;
  }
  if (random.int(4) === 0) return `${flow(random, value)}\n`;
  const step = 1 + random.int(3);
  const inner = indent + step;
  const blank = () =>
    (random.int(8) === 0 ? "\n" : "") + (random.int(10) === 0 ? `${pad(inner)}# c\n` : "");
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]\n";
    const seqIndent = random.int(3) === 0 ? indent : inner;
    return "\n" + value.map((item) => {
      const body = render(random, item, seqIndent + 1);
      return `${blank()}${pad(seqIndent)}-${body.startsWith("\n") ? "" : " "}${body}`;
    }).join("");
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return "{}\n";
  return "\n" +
    entries.map(([k, v]) =>
      `${blank()}${pad(inner)}${scalar(random, k)}${random.int(6) === 0 ? " " : ""}:` +
      `${render(random, v, inner).replace(/^(?!\n)/, " ")}`
    ).join("");
}

function flow(random: Random, value: unknown): string {
  if (typeof value === "string") return scalar(random, value);
  const sp = () => (random.int(3) === 0 ? "" : " ");
  if (Array.isArray(value)) return `[${sp()}${value.map((v) => flow(random, v)).join(`,${sp()}`)}]`;
  return `{${sp()}${
    Object.entries(value as Record<string, unknown>).map(([k, v]) =>
      `${scalar(random, k)}: ${flow(random, v)}`
    ).join(`,${sp()}`)
  }${sp()}}`;
}

function documents(seed: number, count: number): string[] {
  const random = seeded(seed);
  return Array.from({ length: count }, () => {
    const root: Record<string, unknown> = Object.create(null);
    for (let i = 1 + random.int(4); i > 0; i--) root[`k${i}`] = tree(random, 0);
    return render(random, root, -1 - random.int(1)).replace(/^\n/, "");
  });
}

Deno.test("seeded random documents: read as the package reads them, or left to it", () => {
  let read = 0;
  const texts = documents(18, 3000);
  for (const text of texts) {
    const outcome = agree(text);
    assert(outcome === "lite" || outcome === "package", `${JSON.stringify(text)}: ${outcome}`);
    if (outcome === "lite") read++;
  }
  assert(read > texts.length / 5, `the subset read only ${read} of ${texts.length}`);
});

Deno.test("random edits of them: whatever the subset reads, it reads as the package does", () => {
  const random = seeded(1818);
  const alphabet = [..." :-#\n\"'[]{},|>&*!?\\x1.~\t\r"];
  let read = 0;
  let tried = 0;
  for (const text of documents(7, 1500)) {
    for (let n = 0; n < 3; n++) {
      let edited = text;
      for (let e = 1 + random.int(2); e > 0; e--) {
        const at = random.int(edited.length + 1);
        edited = random.int(2) === 0
          ? edited.slice(0, at) + random.pick(alphabet) + edited.slice(at)
          : edited.slice(0, at) + edited.slice(at + 1);
      }
      const outcome = agree(edited);
      tried++;
      assert(outcome === "lite" || outcome === "package", `${JSON.stringify(edited)}: ${outcome}`);
      if (outcome === "lite") read++;
    }
  }
  assert(read > tried / 10, `the subset read only ${read} of ${tried} edited documents`);
});

Deno.test("plain scalars resolve on the core schema as the package resolves them", () => {
  const random = seeded(99);
  const chars = [..."0123456789+-.eExXoOabfnNilu_~ "];
  for (let n = 0; n < 20_000; n++) {
    const s = Array.from({ length: 1 + random.int(6) }, () => random.pick(chars)).join("").trim();
    if (s === "" || !/^[0-9+.~a-zA-Z]/.test(s)) continue;
    const full = parseYamlSource("f.yaml", `v: ${s}\n`);
    if (!full.ok) continue;
    const expected = (full.source.data as { v: unknown }).v;
    assert(same(resolvePlain(s), expected), `${s}: ${resolvePlain(s)}, the package's ${expected}`);
  }
});
