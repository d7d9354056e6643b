/**
 * Third-party code orch carries built (`deno task vendor`, tools/vendor.ts): the `yaml` package's
 * ES module build (yaml.gen.js), which loads in a tenth of the time Deno takes for the package's
 * CommonJS build, re-exported here for the other layers.
 *
 * @module
 */
export * from "./yaml.gen.js";
