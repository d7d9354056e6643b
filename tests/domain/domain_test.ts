import { assert, assertEquals } from "../assert.ts";
import { formatDuration, parseDuration } from "../../src/domain/duration.ts";
import { findCycles, topologicalLevels } from "../../src/domain/graph.ts";
import {
  evaluateHealthExpr,
  formatHealthExpr,
  parseHealthExpr,
  probesOf,
} from "../../src/domain/expression.ts";
import { evaluateReplicaArithmetic, isFixedPort, resolvePorts } from "../../src/domain/deferred.ts";
import { quote } from "../../src/domain/quote.ts";
import { suggest } from "../../src/domain/suggest.ts";
import { describeBlocked } from "../../src/domain/state.ts";

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

Deno.test("graphs of any depth are walked without recursion", () => {
  const n = 100_000;
  const nodes = Array.from({ length: n }, (_, i) => `s${i}`);
  const chain = new Map(nodes.map((node, i) => [node, i > 0 ? [`s${i - 1}`] : []]));
  assertEquals(findCycles(nodes, chain), []);
  const levels = topologicalLevels(nodes, chain);
  assertEquals(levels.length, n);
  assertEquals(levels[n - 1], [`s${n - 1}`]);
  chain.set("s0", [`s${n - 1}`]);
  const cycles = findCycles(nodes, chain);
  assertEquals(cycles.length, 1);
  assertEquals(cycles[0].length, n + 1);
  assertEquals(topologicalLevels(nodes, chain), [], "nodes on or after a cycle are left out");
  // Levels: a node sits one past its deepest dependency; each level keeps the order given.
  const diamond = new Map([["d", ["b", "c"]], ["b", ["a"]], ["c", ["a"]], ["a", []], ["e", []]]);
  assertEquals(topologicalLevels(["d", "c", "b", "a", "e"], diamond), [["a", "e"], ["c", "b"], [
    "d",
  ]]);
});

Deno.test("expressions are bounded: 16 levels of parentheses and 64 probe names", () => {
  const deep = parseHealthExpr(`${"(".repeat(17)}http${")".repeat(17)}`);
  assertEquals(deep, { ok: false, message: "parentheses nest more than 16 deep", column: 17 });
  assert(parseHealthExpr(`${"(".repeat(16)}http${")".repeat(16)}`).ok);
  const wide = parseHealthExpr(Array(65).fill("tcp").join(" || "));
  assertEquals(wide, { ok: false, message: "more than 64 probe names", column: 64 * 7 + 1 });
  const fine = parseHealthExpr(Array(64).fill("tcp").join(" && "));
  assert(fine.ok);
  assertEquals(probesOf(fine.expr).length, 64);
  const long = parseHealthExpr(`http || ${"x".repeat(100_000)}`);
  assert(!long.ok && long.message.length < 120, "a long name is quoted in short");
});

Deno.test("quote() keeps short values whole and cuts long ones, escapes counted", () => {
  assertEquals(quote("db"), `"db"`);
  assertEquals(quote("a\nb"), `"a\\nb"`);
  const nuls = quote("\u0000".repeat(1_000_000));
  assert(nuls.length < 100 && nuls.endsWith(`"…`), nuls);
  assertEquals(quote("😀".repeat(3), 4), `"😀😀"…`, "no character is split");
});

Deno.test("replica arithmetic: integers, ORCH_REPLICA, + - * with * first", () => {
  assertEquals(evaluateReplicaArithmetic("ORCH_REPLICA + 8081", 2), 8083);
  assertEquals(evaluateReplicaArithmetic("8081+ORCH_REPLICA", 2), 8083);
  assertEquals(evaluateReplicaArithmetic("ORCH_REPLICA * 10 + 9000 - 1", 3), 9029);
  assertEquals(evaluateReplicaArithmetic("100 - 2 * ORCH_REPLICA", 3), 94);
  for (const bad of ["ORCH_REPLICA / 2", "8081", "ORCH_REPLICA +", "(ORCH_REPLICA)", "HOME + 1"]) {
    assertEquals(evaluateReplicaArithmetic(bad, 1), undefined, bad);
  }
  assertEquals(isFixedPort("${ORCH_REPLICA}"), false);
  assertEquals(isFixedPort(8080), true);
  assertEquals(
    resolvePorts({
      name: "a",
      ports: [{
        hostIp: undefined,
        hostPort: "${ORCH_REPLICA + 9000}",
        containerPort: 80,
        protocol: "tcp",
      }],
    }, 4),
    [{ hostIp: undefined, hostPort: 9004, containerPort: 80, protocol: "tcp" }],
  );
  let thrown = "";
  try {
    resolvePorts({
      name: "a",
      ports: [{
        hostIp: undefined,
        hostPort: undefined,
        containerPort: "${ORCH_REPLICA + 65535}",
        protocol: "tcp",
      }],
    }, 1);
  } catch (error) {
    thrown = (error as Error).message;
  }
  assertEquals(
    thrown,
    `Cannot publish ports[0] of "a" for replica 1: "\${ORCH_REPLICA + 65535}" does not give a port from 1 to 65535`,
  );
});

Deno.test("a blocked reason in words: today's messages, one per reason", () => {
  const base = {
    target: "db",
    condition: "ready",
    detail: "probe tcp: connection refused",
  } as const;
  const cases: [Parameters<typeof describeBlocked>[0], string][] = [
    [
      { ...base, because: "unmet", timeoutMs: 60_000 },
      "blocked: dependency db not ready (timeout 1m, probe tcp: connection refused)",
    ],
    [
      { ...base, because: "unmet" },
      "blocked: dependency db not ready (probe tcp: connection refused)",
    ],
    [
      { ...base, because: "failed", detail: "exit code 3" },
      "blocked: dependency db failed (exit code 3)",
    ],
    [
      { ...base, because: "blocked", detail: "dependency cache failed (exit 1)" },
      "blocked: dependency db blocked (dependency cache failed (exit 1))",
    ],
    [{ ...base, because: "no-replicas", detail: "" }, "blocked: dependency db has no replicas"],
    [
      { ...base, condition: "completed", because: "wait-after", detail: "wait_after 3s" },
      "blocked: dependency db not completed (wait_after 3s)",
    ],
    [
      { ...base, because: "timed-out", timeoutMs: 400 },
      "dependency db not ready after 400ms (probe tcp: connection refused)",
    ],
    [
      { ...base, because: "timed-out", detail: "", timeoutMs: 1000 },
      "dependency db not ready after 1s",
    ],
  ];
  for (const [reason, words] of cases) assertEquals(describeBlocked(reason), words);
});
