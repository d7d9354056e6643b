/**
 * Third-party code orch carries built: the `yaml` package's ES module build (yaml.gen.js, made by
 * `deno task vendor`), which loads in a tenth of the time Deno takes for the package's CommonJS
 * build.
 *
 * @module
 */
export * from "./yaml.gen.js";
