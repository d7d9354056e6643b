/**
 * Config formats: which one a file is (orch's stack file, orchestrate.toml, the services TOML),
 * and the foreign ones read as they are (Compose, process-compose, Procfile), each translated
 * into the stack file shape with a map back to the file's own keys.
 *
 * @module
 */
export { detectFormat, type FormatName, type TranslatedFormat } from "./detect.ts";
export { relativePath } from "./foreign.ts";
export { type ForeignKind, foreignKind, loadForeign } from "./loader.ts";
export { parseFormation } from "./procfile.ts";
export type { Translation } from "./translation.ts";
