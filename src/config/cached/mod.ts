/**
 * What a long-running orch needs of the config layer without its parsers and schemas: loading a
 * project through the cache of loaded projects (and the short-lived loader process's side of it),
 * the machine checks, and the small readers `up` uses (formation, env files). Nothing here
 * loads the YAML or TOML parsers or the schemas until a load needs them.
 *
 * @module
 */
export { cacheEnabled, type Deps, type Entry } from "./cache.ts";
export { LOAD_REQUEST_ENV, runLoaderChild } from "./child.ts";
export {
  cacheDirOf,
  type CachedLoadOptions,
  loadProjectCached,
  loadRecorded,
  type LoadRequest,
  projectOf,
} from "./load.ts";
export { parseDotenv, readEnvFile } from "../dotenv.ts";
export { parseFormation } from "../formats/formation.ts";
export { preflight, type PreflightIssue } from "../preflight.ts";
