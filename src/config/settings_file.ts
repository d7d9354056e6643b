/**
 * Conducktor's settings file, `conducktor.config.yaml`: the settings its environment variables
 * name (`CDKTR_MASTER_HOST: ...`), between the environment and the flags. Keys are the variables'
 * names (any case); values are strings or numbers. An unknown key, a table or a list is an error
 * at its line; keys orch has no use for are reported back to be warned about.
 *
 * @module
 */
import { ConfigError, type ConfigIssue, didYouMean, quote } from "../domain/mod.ts";
import { parseYaml } from "./source.ts";

/** The file's name, looked for in the directory a command runs in. */
export const SETTINGS_FILE = "conducktor.config.yaml";

/** The settings orch maps, and what it does with each. */
const USED = ["CDKTR_MASTER_HOST", "CDKTR_MASTER_PORT", "CDKTR_HOST_PORT", "CDKTR_MAX_EXECUTORS"];
/** Conducktor's settings that mean nothing to orch, and why. */
const UNUSED: Readonly<Record<string, string>> = {
  CDKTR_HOME: "orch keeps a project's state in its .orch/",
  CDKTR_HOST: "orch has no ZMQ listener; use orch up --listen HOST:PORT",
  CDKTR_PORT: "orch has no ZMQ listener; use orch up --listen HOST:PORT",
};
const KNOWN = [...USED, ...Object.keys(UNUSED), "ORCH_HOST", "ORCH_MAX_EXECUTORS"];

/** What the file says: each setting by its variable's name, and the keys orch does not use. */
export interface SettingsFile {
  readonly values: ReadonlyMap<string, string>;
  /** Issues to warn about (a setting orch has no use for), located. */
  readonly unused: readonly ConfigIssue[];
}

/** Parses `text`, the content of `file`; throws a {@link ConfigError} naming each bad key. */
export function parseSettingsFile(file: string, text: string): SettingsFile {
  const parsed = parseYaml(file, text);
  if (!parsed.ok) throw new ConfigError(parsed.issues, `${file} cannot be read`);
  const { data, locate } = parsed.source;
  const issues: ConfigIssue[] = [];
  const unused: ConfigIssue[] = [];
  const values = new Map<string, string>();
  if (data === null || data === undefined) return { values, unused };
  if (typeof data !== "object" || Array.isArray(data)) {
    throw new ConfigError([{
      file,
      line: 1,
      column: 1,
      path: "",
      message: "expected a table of settings",
    }]);
  }
  for (const [key, value] of Object.entries(data)) {
    const name = key.toUpperCase();
    const at = locate([key], { key: true });
    const where = { file, line: at?.line, column: at?.column, path: key };
    if (!KNOWN.includes(name)) {
      issues.push({
        ...where,
        message: "unknown setting",
        hint: didYouMean(name, KNOWN) ?? `one of ${KNOWN.join(", ")}`,
      });
    } else if (typeof value !== "string" && typeof value !== "number") {
      issues.push({
        ...where,
        message: `expected a string or a number, got ${
          quote(JSON.stringify(value) ?? String(value), 40)
        }`,
      });
    } else if (name in UNUSED) {
      unused.push({ ...where, message: `not used by orch: ${UNUSED[name]}` });
    } else {
      values.set(name, String(value));
    }
  }
  if (issues.length > 0) throw new ConfigError(issues, `${file} has bad settings`);
  return { values, unused };
}
