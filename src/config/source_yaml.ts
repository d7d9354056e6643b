/**
 * YAML files: parsed with the `yaml` package, merge keys (`<<: *base`, `<<: [*a, *b]`) on. Before the
 * document becomes data, its aliases are checked without recursion: each must follow its anchor and
 * not sit inside it, merge sources must be tables, and the data they expand to is bounded
 * ({@link MAX_VALUES}), which stops "billion laughs" files while ordinary files may use any number
 * of aliases.
 *
 * @module
 */
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
} from "./vendor/yaml.gen.js";
import type { Alias, Document, Node as YamlNode, Pair, YAMLMap } from "./vendor/yaml.gen.js";
import { clip, quote } from "../domain/mod.ts";
import type { LineCol, Locator, ParseOutcome } from "./paths.ts";

/** The most values a YAML file may expand to once its aliases are replaced by what they name. */
export const MAX_VALUES = 1_000_000;

type Problem = { node: unknown; message: string };

/** Parses a YAML stack file. */
export function parseYamlSource(file: string, text: string): ParseOutcome {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    // Duplicate keys are found by checkAliases: the library's own check is quadratic in a map's size.
    uniqueKeys: false,
    merge: true,
  });
  const positionOf = (node: unknown): LineCol | undefined => {
    if (isPair(node)) return positionOf(node.key);
    const range = (node as YamlNode | null)?.range;
    if (!range) return undefined;
    const pos = lineCounter.linePos(range[0]);
    return { line: pos.line, column: pos.col };
  };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((error) => {
        const pos = lineCounter.linePos(error.pos[0]);
        const first = error.message.split("\n")[0];
        return {
          file,
          line: pos.line,
          column: pos.col,
          path: "",
          message: /Maximum call stack/.test(first)
            ? "YAML syntax: nested too deeply to be read"
            : `YAML syntax: ${clip(first, 200)}`,
        };
      }),
    };
  }
  const checked = checkAliases(doc);
  const fail = (...problems: Problem[]): ParseOutcome => ({
    ok: false,
    issues: problems.map((problem) => {
      const pos = positionOf(problem.node);
      return { file, line: pos?.line, column: pos?.column, path: "", message: problem.message };
    }),
  });
  if ("problems" in checked) return fail(...checked.problems);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: -1 }) ?? {};
  } catch (error) {
    // The checks above leave nothing known to throw here; a library message is still about the file.
    return fail({ node: doc.contents, message: `YAML: ${clip(String(error), 200)}` });
  }
  const targets = checked.targets;
  const deref = (node: unknown) => (isAlias(node) ? targets.get(node) : node);
  const locate: Locator = (path, options) => {
    let node: unknown = doc.contents;
    let best: LineCol | undefined = positionOf(node);
    for (let i = 0; i < path.length; i++) {
      const part = path[i];
      const last = i === path.length - 1;
      node = deref(node);
      if (isMap(node)) {
        const pair = findPair(node, String(part), deref);
        if (!pair) return best;
        if (last && options?.key) return positionOf(pair.key) ?? best;
        node = pair.value;
        best = positionOf(node) ?? positionOf(pair.key) ?? best;
      } else if (isSeq(node) && typeof part === "number") {
        node = node.items[part];
        best = positionOf(node) ?? best;
      } else {
        return best;
      }
    }
    return best;
  };
  return { ok: true, source: { file, syntax: "yaml", data, locate } };
}

/** Tags of the YAML core schema: the only ones whose values are plain data. */
const PLAIN_TAGS = new Set(
  ["str", "int", "float", "bool", "null", "map", "seq"].map((t) => `tag:yaml.org,2002:${t}`),
);

/** A `<<` key: with merge keys on, the library gives it a symbol value (a quoted "<<" is a string). */
const isMergeKey = (key: unknown) => isScalar(key) && typeof key.value === "symbol";

/** A map's own pairs by key, made once per map (a locator may be asked thousands of times). */
const pairsByKey = new WeakMap<YAMLMap, Map<string, Pair>>();

function ownPair(map: YAMLMap, key: string): Pair | undefined {
  let pairs = pairsByKey.get(map);
  if (!pairs) {
    pairs = new Map();
    for (const pair of map.items) {
      if (!isScalar(pair.key) || isMergeKey(pair.key)) continue;
      const name = String(pair.key.value);
      if (!pairs.has(name)) pairs.set(name, pair as Pair);
    }
    pairsByKey.set(map, pairs);
  }
  return pairs.get(key);
}

/** The pair that gives `key` in a map: its own, else the first merge source's (as YAML merges). */
function findPair(map: YAMLMap, key: string, deref: (node: unknown) => unknown) {
  const queue: unknown[] = [map];
  for (let n = 0; n < queue.length && n < 10_000; n++) {
    const current = deref(queue[n]);
    if (!isMap(current)) continue;
    const own = ownPair(current, key);
    if (own) return own;
    for (const pair of current.items) {
      if (!isMergeKey(pair.key)) continue;
      const value = deref(pair.value);
      if (isSeq(value)) queue.push(...value.items);
      else queue.push(value);
    }
  }
  return undefined;
}

/**
 * Resolves every alias to its anchor in document order and bounds the expanded size, with an explicit
 * stack (a deep document cannot overflow it). Returns the alias targets, or the first problem.
 */
function checkAliases(
  doc: Document,
): { targets: Map<Alias, unknown> } | { problems: Problem[] } {
  const anchors = new Map<string, unknown>();
  const targets = new Map<Alias, unknown>();
  const size = new Map<unknown, number>();
  const open = new Set<unknown>();
  const merges: unknown[] = [];
  const aliasKeys: Alias[] = [];
  // Problems that leave the walk able to go on; alias problems stop it.
  const problems: Problem[] = [];
  // Post-order walk: a frame is entered once (children pushed), then left (its size summed).
  const frames: { node: unknown; children?: unknown[] }[] = [{ node: doc.contents }];
  while (frames.length > 0) {
    const frame = frames[frames.length - 1];
    const node = frame.node;
    if (frame.children === undefined) {
      if (isAlias(node)) {
        frames.pop();
        const target = anchors.get(node.source);
        if (target === undefined) {
          return {
            problems: [{
              node,
              message: `unresolved alias *${clip(node.source, 40)} (its anchor &${
                clip(node.source, 40)
              } must come before it)`,
            }],
          };
        }
        if (open.has(target)) {
          return {
            problems: [{
              node,
              message: `alias *${clip(node.source, 40)} is inside what it names`,
            }],
          };
        }
        targets.set(node, target);
        size.set(node, size.get(target) ?? 1);
        continue;
      }
      const anchor = (node as { anchor?: string } | null)?.anchor;
      if (anchor) anchors.set(anchor, node);
      const tag = (node as { tag?: string } | null)?.tag;
      if (tag && !PLAIN_TAGS.has(tag)) {
        const short = tag.replace("tag:yaml.org,2002:", "!!");
        problems.push({
          node,
          message: `YAML tag ${clip(short, 40)} is not supported (use plain strings, numbers, ` +
            `true/false, lists and tables)`,
        });
      }
      const children = isMap(node) || isSeq(node)
        ? [...node.items]
        : isPair(node)
        ? [node.key, node.value]
        : [];
      if (isPair(node) && isMergeKey(node.key)) merges.push(node.value);
      if (isMap(node)) {
        const keys = new Set<string>();
        for (const pair of node.items) {
          if (isAlias(pair.key)) aliasKeys.push(pair.key);
          else if (pair.key !== null && !isScalar(pair.key)) {
            problems.push({
              node: pair.key,
              message: "a key must be a plain value, not a list or table",
            });
            continue;
          }
          if (!isScalar(pair.key) || isMergeKey(pair.key)) continue;
          const key = String(pair.key.value);
          if (keys.has(key)) {
            problems.push({ node: pair.key, message: `key ${quote(key, 40)} is given twice` });
          }
          keys.add(key);
        }
      }
      frame.children = children;
      open.add(node);
      for (let i = children.length - 1; i >= 0; i--) frames.push({ node: children[i] });
      continue;
    }
    frames.pop();
    open.delete(node);
    let total = isPair(node) ? 0 : 1;
    for (const child of frame.children) {
      total += size.get(child) ?? 1;
      if (total > MAX_VALUES) {
        return {
          problems: [{
            node: child,
            message: `aliases expand this file to more than ${MAX_VALUES} values ` +
              `(a "billion laughs" file?)`,
          }],
        };
      }
    }
    size.set(node, total);
  }
  for (const value of merges) {
    const problem = badMergeSource(value, (node) => (isAlias(node) ? targets.get(node) : node));
    if (problem) problems.push(problem);
  }
  for (const key of aliasKeys) {
    if (isScalar(targets.get(key))) continue;
    problems.push({ node: key, message: "a key must be a plain value, not a list or table" });
  }
  return problems.length > 0 ? { problems } : { targets };
}

/** A merge key's value must be a table, an alias of one, or a list of those. */
function badMergeSource(value: unknown, deref: (node: unknown) => unknown): Problem | undefined {
  const items = isSeq(value) ? value.items : [value];
  for (const item of items) {
    if (isMap(deref(item))) continue;
    const target = deref(item);
    const what = isSeq(target)
      ? "a list"
      : isScalar(target)
      ? quote(String(target.value), 40)
      : "that value";
    const shown = isAlias(item) ? `*${clip(item.source, 40)} (${what})` : what;
    return {
      node: item,
      message: `merge key << takes a table, an alias of one, or a list of them, not ${shown}`,
    };
  }
  return undefined;
}
