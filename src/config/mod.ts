/**
 * The config pipeline: text -> parsed -> defaulted -> validated -> frozen Stack (with flows),
 * whatever the file's format; and the checks that touch the machine, apart.
 *
 * @module
 */
export { parseDotenv, readEnvFile } from "./dotenv.ts";
export { loadProject, type Project } from "./flows/mod.ts";
export {
  detectFormat,
  foreignKind,
  loadForeign,
  parseFormation,
  relativePath,
  type TranslatedFormat,
} from "./formats/mod.ts";
export {
  DEFAULT_FILES,
  findDefaultFile,
  type Loaded,
  type LoadOptions,
  loadStack,
} from "./load.ts";
export { mergeDeep } from "./merge.ts";
export { preflight, type PreflightIssue } from "./preflight.ts";
export { SAMPLE_TOML, SAMPLE_YAML } from "./samples.ts";
export { parseSettingsFile, SETTINGS_FILE, type SettingsFile } from "./settings_file.ts";
export { type FieldPath, formatPath, type Locator } from "./source.ts";
