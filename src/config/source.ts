/**
 * Reading a config file's text into plain data, with a locator that turns a field path back into a
 * line and column of that file.
 *
 * @module
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Node as YamlNode } from "yaml";
import { parse as parseToml, TomlError } from "smol-toml";
import type { ConfigIssue } from "../domain/errors.ts";

/** A field path: keys and array indexes. */
export type FieldPath = readonly (string | number)[];

/** A line and column, from 1. */
export interface LineCol {
  readonly line: number;
  readonly column: number;
}

/**
 * Finds where a field is written. `key: true` asks for the key itself (for unknown fields) rather than
 * its value. Falls back to the nearest ancestor that is written.
 */
export type Locator = (path: FieldPath, options?: { key?: boolean }) => LineCol | undefined;

/** A parsed file: its data and how to find fields in it. */
export interface ParsedSource {
  readonly file: string;
  readonly syntax: "yaml" | "toml";
  readonly data: unknown;
  readonly locate: Locator;
}

/** Formats a path as `services.api.dependsOn[0].target`. */
export function formatPath(path: FieldPath): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** Parses YAML or TOML (by extension, `.toml` is TOML), returning data or syntax issues. */
export function parseSource(
  file: string,
  text: string,
): { ok: true; source: ParsedSource } | { ok: false; issues: ConfigIssue[] } {
  return /\.toml$/i.test(file) ? parseTomlSource(file, text) : parseYamlSource(file, text);
}

function parseYamlSource(
  file: string,
  text: string,
): { ok: true; source: ParsedSource } | { ok: false; issues: ConfigIssue[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((error) => {
        const pos = lineCounter.linePos(error.pos[0]);
        return {
          file,
          line: pos.line,
          column: pos.col,
          path: "",
          message: `YAML syntax: ${error.message.split("\n")[0]}`,
        };
      }),
    };
  }
  const locate: Locator = (path, options) => {
    let node: unknown = doc.contents;
    let best: LineCol | undefined = positionOf(node);
    for (let i = 0; i < path.length; i++) {
      const part = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) =>
          isScalar(p.key) && String(p.key.value) === String(part)
        );
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
  const positionOf = (node: unknown): LineCol | undefined => {
    if (isPair(node)) return positionOf(node.key);
    const range = (node as YamlNode | null)?.range;
    if (!range) return undefined;
    const pos = lineCounter.linePos(range[0]);
    return { line: pos.line, column: pos.col };
  };
  return { ok: true, source: { file, syntax: "yaml", data: doc.toJS() ?? {}, locate } };
}

function parseTomlSource(
  file: string,
  text: string,
): { ok: true; source: ParsedSource } | { ok: false; issues: ConfigIssue[] } {
  let data: unknown;
  try {
    data = parseToml(text);
  } catch (error) {
    if (error instanceof TomlError) {
      return {
        ok: false,
        issues: [{
          file,
          line: error.line,
          column: error.column,
          path: "",
          message: `TOML syntax: ${error.message.split("\n")[0]}`,
        }],
      };
    }
    throw error;
  }
  const positions = scanTomlPositions(text);
  const locate: Locator = (path) => {
    for (let n = path.length; n > 0; n--) {
      const hit = positions.get(formatPath(path.slice(0, n)));
      if (hit) return hit;
    }
    return undefined;
  };
  return { ok: true, source: { file, syntax: "toml", data, locate } };
}

/**
 * Maps `table.key` and `array[i].key` paths to where they are written, by reading table headers and
 * `key = value` lines. Enough for the flat TOML formats orch reads; values inside inline tables map to
 * their key's line.
 */
function scanTomlPositions(text: string): Map<string, LineCol> {
  const positions = new Map<string, LineCol>();
  const arrayCounts = new Map<string, number>();
  let prefix: FieldPath = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const header = /^(\s*)\[\[\s*([^\]]+?)\s*\]\]/.exec(line);
    if (header) {
      const name = header[2].split(".").map((s) => s.trim().replace(/^"|"$/g, ""));
      const key = name.join(".");
      const index = arrayCounts.get(key) ?? 0;
      arrayCounts.set(key, index + 1);
      prefix = [...name, index];
      positions.set(formatPath(prefix), { line: i + 1, column: header[1].length + 1 });
      if (index === 0) {
        positions.set(formatPath(name), { line: i + 1, column: header[1].length + 1 });
      }
      continue;
    }
    const table = /^(\s*)\[\s*([^\]]+?)\s*\]/.exec(line);
    if (table) {
      prefix = table[2].split(".").map((s) => s.trim().replace(/^"|"$/g, ""));
      positions.set(formatPath(prefix), { line: i + 1, column: table[1].length + 1 });
      continue;
    }
    const assignment = /^(\s*)("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=/.exec(line);
    if (assignment) {
      const key = assignment[2].replace(/^["']|["']$/g, "");
      const path = [...prefix, ...key.split(".")];
      positions.set(formatPath(path), { line: i + 1, column: assignment[1].length + 1 });
    }
  }
  return positions;
}
