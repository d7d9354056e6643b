/**
 * Reading a config file's text into plain data, with a locator that turns a field path back into a
 * line and column of that file. Whatever the text, the result is data or located issues: aliases
 * that expand too far, nesting deeper than {@link MAX_DEPTH} and the like are issues, never a crash.
 *
 * @module
 */
import { formatPath, MAX_DEPTH, type ParseOutcome, tooDeep } from "./paths.ts";
import { parseYamlSource } from "./source_yaml.ts";
import { parseLite } from "./yaml_lite.ts";

export { formatPath, MAX_DEPTH, tooDeep };
export type { FieldPath, LineCol, Locator, ParsedSource, ParseOutcome } from "./paths.ts";

/**
 * Parses YAML or TOML (by extension, `.toml` is TOML), returning data or located issues. The TOML
 * parser is loaded with the first TOML file; YAML goes through {@link parseYaml} (or a load's
 * shared parses).
 */
export async function parseSource(
  file: string,
  text: string,
  yaml: (file: string, text: string) => ParseOutcome = parseYaml,
): Promise<ParseOutcome> {
  return /\.toml$/i.test(file)
    ? checkDepth(file, (await import("./source_toml.ts")).parseTomlSource(file, text))
    : yaml(file, text);
}

/**
 * Parses YAML (a file orch reads only as YAML), returning data or located issues: the common
 * subset by yaml_lite.ts, anything else (and every error) by the `yaml` package.
 */
export function parseYaml(file: string, text: string): ParseOutcome {
  const lite = parseLite(text);
  const parsed: ParseOutcome = lite
    ? { ok: true, source: { file, syntax: "yaml", data: lite.data, locate: lite.locate } }
    : parseYamlSource(file, text);
  return checkDepth(file, parsed);
}

function checkDepth(file: string, parsed: ParseOutcome): ParseOutcome {
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
