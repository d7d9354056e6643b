/**
 * Reading a config file's text into plain data, with a locator that turns a field path back into a
 * line and column of that file. Whatever the text, the result is data or located issues: aliases
 * that expand too far, nesting deeper than {@link MAX_DEPTH} and the like are issues, never a crash.
 *
 * @module
 */
import { formatPath, MAX_DEPTH, type ParseOutcome, tooDeep } from "./paths.ts";
import { parseTomlSource } from "./source_toml.ts";
import { parseYamlSource } from "./source_yaml.ts";

export { formatPath, MAX_DEPTH, tooDeep };
export type { FieldPath, LineCol, Locator, ParsedSource, ParseOutcome } from "./paths.ts";

/** Parses YAML or TOML (by extension, `.toml` is TOML), returning data or located issues. */
export function parseSource(file: string, text: string): ParseOutcome {
  const parsed = /\.toml$/i.test(file) ? parseTomlSource(file, text) : parseYamlSource(file, text);
  if (!parsed.ok) return parsed;
  const deep = tooDeep(parsed.source.data, MAX_DEPTH);
  if (!deep) return parsed;
  const pos = parsed.source.locate(deep);
  return {
    ok: false,
    issues: [{
      file,
      line: pos?.line,
      column: pos?.column,
      path: formatPath(deep.slice(0, 8), { short: true }) + (deep.length > 8 ? "…" : ""),
      message: `tables and lists nest more than ${MAX_DEPTH} levels deep`,
    }],
  };
}
