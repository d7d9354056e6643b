/**
 * Conducktor's `dag` list, which orch's flows accept too: `A: B` (B after A succeeded) and
 * `A?: B | C` (B when A succeeded, C when it failed), written as strings or as one-key tables
 * (`- First task: Second task`). A side may list several tasks separated by commas.
 *
 * @module
 */
import type { EdgeOn } from "../../domain/mod.ts";
import type { FieldPath } from "../source.ts";

/** One edge read from a dag entry, and where it is written (relative to the flow). */
export interface DagEdge {
  readonly from: string;
  readonly to: string;
  readonly on: EdgeOn;
  readonly path: FieldPath;
}

/** A dag entry that could not be read. */
export interface DagProblem {
  readonly path: FieldPath;
  readonly message: string;
  readonly hint?: string;
}

const list = (text: string) => text.split(",").map((s) => s.trim()).filter(Boolean);

function edgesOf(
  key: string,
  value: string,
  path: FieldPath,
  problems: DagProblem[],
): DagEdge[] {
  const conditional = key.trimEnd().endsWith("?");
  const froms = list(conditional ? key.trimEnd().slice(0, -1) : key);
  if (froms.length === 0) {
    problems.push({ path, message: "names no upstream task before the colon" });
    return [];
  }
  const sides = value.split("|");
  if (!conditional && sides.length > 1) {
    problems.push({
      path,
      message: `"|" separates the branches of a conditional edge`,
      hint: `write "${froms.join(", ")}?: ${sides.map((s) => s.trim()).join(" | ")}"`,
    });
    return [];
  }
  if (sides.length > 2) {
    problems.push({ path, message: `a conditional edge has two branches, got ${sides.length}` });
    return [];
  }
  const success = list(sides[0]);
  const failure = sides.length > 1 ? list(sides[1]) : [];
  if (success.length + failure.length === 0) {
    problems.push({ path, message: "names no downstream task after the colon" });
    return [];
  }
  const out: DagEdge[] = [];
  for (const from of froms) {
    for (const to of success) out.push({ from, to, on: "success", path });
    for (const to of failure) out.push({ from, to, on: "failure", path });
  }
  return out;
}

/** Reads every dag entry; `prefix` is the entries' path in the flow (`["dag"]`). */
export function parseDag(
  entries: readonly unknown[],
  prefix: FieldPath = ["dag"],
): { edges: DagEdge[]; problems: DagProblem[] } {
  const edges: DagEdge[] = [];
  const problems: DagProblem[] = [];
  entries.forEach((entry, i) => {
    const path = [...prefix, i];
    if (typeof entry === "string") {
      const match = /^(.*?[^\s:]\??)\s*:(?:\s+|$)(.*)$/.exec(entry.trim());
      if (!match) {
        problems.push({
          path,
          message: `expected "A: B" or "A?: B | C", got ${JSON.stringify(entry)}`,
        });
        return;
      }
      edges.push(...edgesOf(match[1], match[2], path, problems));
      return;
    }
    if (entry && typeof entry === "object" && !Array.isArray(entry)) {
      for (const [key, value] of Object.entries(entry)) {
        const at = [...path, key];
        const targets = Array.isArray(value) ? value : [value];
        if (!targets.every((t) => typeof t === "string")) {
          problems.push({ path: at, message: "expected the downstream task names as a string" });
          continue;
        }
        edges.push(...edgesOf(key, targets.join(", "), at, problems));
      }
      return;
    }
    problems.push({ path, message: `expected "A: B" or "A?: B | C"` });
  });
  return { edges, problems };
}
