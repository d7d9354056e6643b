/**
 * YAML parses shared within one load. The project loader reads a stack file to tell what it is, the
 * format check looks at its keys, and the stack loader validates it: each would parse the same text
 * again (three parses of a 100-service file cost 25-40 ms on cold code). A parse is a pure function
 * of the file's name and text, and no one changes what it returns (interpolation and the schemas
 * build new values), so one result serves all three.
 *
 * @module
 */
import { type ParseOutcome, parseYaml } from "./source.ts";

/** The parses of one load, by file; a file read again with other text is parsed again. */
export class YamlParses {
  readonly #byFile = new Map<string, { readonly text: string; readonly outcome: ParseOutcome }>();

  /** Parses `text`, the content of `file`, as YAML, or returns the parse of the same text. */
  parse(file: string, text: string): ParseOutcome {
    const known = this.#byFile.get(file);
    if (known !== undefined && known.text === text) return known.outcome;
    const outcome = parseYaml(file, text);
    this.#byFile.set(file, { text, outcome });
    return outcome;
  }
}
