/**
 * TOML files, parsed with `smol-toml` (its tables have no prototype, so any key is a plain key), and
 * a locator from the table headers and `key = value` lines.
 *
 * @module
 */
import { parse as parseToml, TomlError } from "smol-toml";
import { clip } from "../domain/mod.ts";
import {
  type FieldPath,
  formatPath,
  type LineCol,
  type Locator,
  MAX_DEPTH,
  type ParseOutcome,
} from "./paths.ts";

/** Parses a TOML config file. */
export function parseTomlSource(file: string, text: string): ParseOutcome {
  let data: unknown;
  try {
    data = parseToml(text);
  } catch (error) {
    const at = error instanceof TomlError ? { line: error.line, column: error.column } : {};
    const first = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return {
      ok: false,
      issues: [{
        file,
        ...at,
        path: "",
        message: /Maximum call stack/.test(first)
          ? "TOML syntax: nested too deeply to be read"
          : `TOML syntax: ${clip(first, 200)}`,
      }],
    };
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
  const keysOf = (name: string) => name.split(".").map((s) => s.trim().replace(/^"|"$/g, ""));
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const header = /^(\s*)\[\[\s*([^\]]+?)\s*\]\]/.exec(line);
    if (header) {
      const name = keysOf(header[2]);
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
      prefix = keysOf(table[2]);
      const at = { line: i + 1, column: table[1].length + 1 };
      positions.set(formatPath(prefix), at);
      // The tables a header implies are written here too (the first time), up to the depth allowed.
      for (let n = Math.min(prefix.length - 1, MAX_DEPTH + 1); n > 0; n--) {
        const implied = formatPath(prefix.slice(0, n));
        if (!positions.has(implied)) positions.set(implied, at);
      }
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
