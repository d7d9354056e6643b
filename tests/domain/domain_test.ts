import { assert, assertEquals } from "../assert.ts";
import { formatDuration, parseDuration } from "../../src/domain/duration.ts";
import { findCycles, topologicalLevels } from "../../src/domain/graph.ts";
import {
  evaluateHealthExpr,
  formatHealthExpr,
  parseHealthExpr,
} from "../../src/domain/expression.ts";
import { suggest } from "../../src/domain/suggest.ts";

Deno.test("durations parse from strings and plain seconds", () => {
  assertEquals(parseDuration("500ms"), 500);
  assertEquals(parseDuration("2s"), 2000);
  assertEquals(parseDuration("1m30s"), 90_000);
  assertEquals(parseDuration("1.5s"), 1500);
  assertEquals(parseDuration(3), 3000);
  assertEquals(parseDuration("3"), 3000);
  assertEquals(parseDuration("5x"), undefined);
  assertEquals(parseDuration("1m 30s"), undefined);
  assertEquals(parseDuration(-1), undefined);
  assertEquals(formatDuration(72_000), "1m12s");
  assertEquals(formatDuration(850), "850ms");
});

Deno.test("cycles are found and named whole; levels order the rest", () => {
  const edges = new Map([["a", ["c"]], ["b", ["a"]], ["c", ["b"]], ["d", []], ["e", ["d"]]]);
  assertEquals(findCycles(["a", "b", "c", "d", "e"], edges), [["a", "c", "b", "a"]]);
  assertEquals(topologicalLevels(["d", "e"], edges), [["d"], ["e"]]);
  assertEquals(findCycles(["x"], new Map([["x", ["x"]]])), [["x", "x"]]);
});

Deno.test("health expressions: || and && with precedence, parentheses, errors with columns", () => {
  const parsed = parseHealthExpr("http || tcp && log");
  assert(parsed.ok);
  assertEquals(formatHealthExpr(parsed.expr), "http || (tcp && log)");
  const verdicts: Record<string, boolean> = { http: false, tcp: true, log: true };
  assertEquals(evaluateHealthExpr(parsed.expr, (p) => verdicts[p]), true);
  verdicts.log = false;
  assertEquals(evaluateHealthExpr(parsed.expr, (p) => verdicts[p]), false);
  const grouped = parseHealthExpr("(http || tcp) and cmd");
  assert(grouped.ok);
  assertEquals(grouped.expr.op, "and");
  assertEquals(parseHealthExpr("http ||"), {
    ok: false,
    message: "expected a probe name, found the end",
    column: 8,
  });
  assertEquals(parseHealthExpr("htp"), {
    ok: false,
    message: `"htp" is not a probe (use http, tcp, cmd, log)`,
    column: 1,
  });
});

Deno.test("did-you-mean finds near misses only", () => {
  assertEquals(suggest("dependOn", ["dependsOn", "env"]), "dependsOn");
  assertEquals(suggest("zzz", ["dependsOn", "env"]), undefined);
});
