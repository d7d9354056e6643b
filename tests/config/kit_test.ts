/**
 * src/config/kit/ validates as zod 4 did for the config layer: the same outputs and the same issues
 * (codes, paths and the fields the config layer reads), checked side by side with the npm package
 * on the same schemas and a corpus of good and bad values; and the two places where it reports more.
 */
import { assert, assertEquals } from "../assert.ts";
import { z } from "../../src/config/kit/mod.ts";
import { z as zod } from "zod";
import { type Builder, type Parser, shape } from "./kit_compare.ts";

function outcome(schema: Parser, value: unknown): unknown {
  const r = schema.safeParse(structuredClone(value));
  return r.success ? { ok: r.data } : { issues: r.error.issues.map(shape) };
}

const duration = (z: typeof zod) =>
  z.unknown().transform((value, ctx) => {
    if (typeof value === "number") return value * 1000;
    ctx.addIssue({ code: "custom", message: `expected a duration, got ${typeof value}` });
    return z.NEVER;
  });

const CASES: Record<string, { build: Builder; values: unknown[] }> = {
  "scalars and their checks": {
    build: (z) =>
      z.strictObject({
        s: z.string().min(2).max(4).optional(),
        r: z.string().regex(/^[a-z]+$/, "lowercase only").optional(),
        n: z.number().int().min(1).max(10).optional(),
        f: z.number().min(1).int().optional(),
        p: z.number().positive().optional(),
        b: z.boolean().optional(),
        nul: z.null().optional(),
        e: z.enum(["x", "y"]).optional(),
        l: z.literal("only").optional(),
      }),
    values: [
      {},
      { s: "abc", r: "ok", n: 3, f: 2, p: 0.5, b: false, nul: null, e: "y", l: "only" },
      { s: "a", r: "Bad1", n: 0.5, f: 0.5, p: 0, b: "yes", nul: 0, e: "z", l: "other" },
      { s: "abcdef", n: 11, f: -1, p: -3 },
      { s: 1, r: 2, n: "3", b: null, e: 1 },
      { n: NaN, f: Infinity, p: -Infinity },
      { n: 2 ** 60 },
      { s: "😀😀" },
      { s: "😀😀😀😀😀" },
      { unknown: 1, other: 2 },
      null,
      [],
      "text",
    ],
  },
  "required fields, preprocess, transforms, nullable": {
    build: (z) =>
      z.strictObject({
        name: z.string(),
        d: duration(z),
        pre: z.preprocess(
          (v: unknown) => (typeof v === "string" ? { target: v } : v),
          z.strictObject({
            target: z.string(),
            when: z.enum(["a", "b"]).optional(),
          }),
        ),
        opt: z.preprocess((v: unknown) => v ?? {}, z.strictObject({ k: z.number().optional() }))
          .optional(),
        nul: z.string().nullable().optional(),
        t: z.strictObject({ a: z.number().optional(), b: z.number().optional() }).transform((
          v: { a?: number; b?: number },
        ) => (v.a ?? 0) + (v.b ?? 0)).optional(),
      }),
    values: [
      {},
      { name: "x", d: 2, pre: "svc" },
      { name: "x", d: "2s", pre: { target: "t", when: "c", extra: 1 } },
      { name: 1, d: 2, pre: 5, opt: null, nul: null, t: { a: 1, b: 2 } },
      { name: "x", d: 1, pre: "y", opt: { k: "no" }, nul: 3, t: { a: 1, zz: 2 } },
      { name: "x", d: 1, pre: "y", t: { a: "1" } },
    ],
  },
  "lists, records, loose objects": {
    build: (z) =>
      z.strictObject({
        list: z.array(z.number().int()).min(1).optional(),
        rec: z.record(z.string(), z.union([z.string(), z.null()])).optional(),
        loose: z.looseObject({ known: z.boolean().optional() }).optional(),
        nested: z.array(z.strictObject({ id: z.string() })).optional(),
        pair: z.array(z.string()).min(2).optional(),
        ints: z.array(z.number().int()).min(2).optional(),
      }),
    values: [
      { list: [1, 2], rec: { a: "x", b: null }, loose: { known: true, other: [1] } },
      { list: [], rec: { a: 1 }, loose: { known: 1, more: "x" } },
      { list: [1.5, "x", 3], rec: [], loose: [] },
      { list: "1", rec: "x", loose: "y", nested: [{ id: 1 }, {}, { id: "a", x: 1 }] },
      { rec: JSON.parse('{"__proto__": "p", "a": "b"}') },
      { loose: JSON.parse('{"__proto__": {"polluted": true}, "known": false}') },
      { rec: new Date(0) },
      { pair: [1], ints: [1.5] },
      { pair: ["a", 2, "c", "d"], ints: ["x"] },
      { pair: ["a", "b"], ints: [1, 2] },
    ],
  },
  "unions: first match, a near miss, or every branch": {
    build: (z) =>
      z.strictObject({
        count: z.union([z.number().int().min(0), z.literal("unlimited")]).optional(),
        cmd: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
        obj: z.union([
          z.string(),
          z.strictObject({ service: z.string(), file: z.string().optional() }),
        ]).optional(),
        one: z.union([z.boolean()]).optional(),
      }),
    values: [
      { count: 3, cmd: "x", obj: "a", one: true },
      { count: "unlimited", cmd: ["a"], obj: { service: "s" } },
      { count: -1 },
      { count: 1.5 },
      { count: "many" },
      { cmd: [] },
      { cmd: [1] },
      { cmd: 7 },
      { obj: { service: "s", extra: 1 } },
      { obj: { file: "f" } },
      { obj: 3 },
      { one: "no" },
    ],
  },
  "pick": {
    build: (z) =>
      z.strictObject({ a: z.string(), b: z.number().optional(), c: z.boolean() }).pick({
        a: true,
        b: true,
      }),
    values: [{ a: "x" }, { a: "x", c: true }, { b: "1" }],
  },
};

for (const [name, { build, values }] of Object.entries(CASES)) {
  Deno.test(`the kit validates as zod 4 does: ${name}`, () => {
    const ours = build(z);
    const theirs = build(zod);
    for (const value of values) {
      assertEquals(outcome(ours, value), outcome(theirs, value), `for ${Deno.inspect(value)}`);
    }
  });
}

Deno.test("the kit's differential cases hold failures and successes both", () => {
  let failed = 0, passed = 0;
  for (const { build, values } of Object.values(CASES)) {
    const schema = build(z);
    for (const value of values) schema.safeParse(value).success ? passed++ : failed++;
  }
  assert(failed > 20 && passed > 8, `${failed} failed, ${passed} passed`);
});

Deno.test("a length check does not run after a type failed (zod also reported a list's length)", () => {
  const r = z.string().min(1).safeParse([]);
  assert(!r.success);
  assertEquals(r.error.issues.map((i) => i.code), ["invalid_type"]);
});

Deno.test("a list over its maximum still has its items checked (zod checked only the length)", () => {
  const r = z.array(z.string()).max(1).safeParse(["a", 2]);
  assert(!r.success);
  assertEquals(r.error.issues.map((i) => [i.code, i.path]), [
    ["invalid_type", [1]],
    ["too_big", []],
  ]);
});

Deno.test("outputs are typed and unknown fields of a strict object are named at once", () => {
  const schema = z.strictObject({
    a: z.string(),
    b: z.number().optional(),
    c: z.array(z.enum(["x", "y"])),
  });
  const good: z.output<typeof schema> = schema.parse({ a: "s", c: ["x"] });
  assertEquals(good, { a: "s", c: ["x"] });
  const bad = schema.safeParse({ a: "s", c: [], d: 1, e: 2 });
  assert(!bad.success);
  assertEquals(bad.error.issues, [
    { code: "unrecognized_keys", keys: ["d", "e"], path: [], message: "invalid input" },
  ]);
});

Deno.test("an issue added by a transform keeps its path below the field", () => {
  const schema = z.strictObject({
    t: z.unknown().transform((_v, ctx) => {
      ctx.addIssue({ code: "custom", message: "bad", path: ["deep", 0] });
      return z.NEVER;
    }),
  });
  const r = schema.safeParse({ t: 1 });
  assert(!r.success);
  assertEquals(r.error.issues, [{ code: "custom", message: "bad", path: ["t", "deep", 0] }]);
});
