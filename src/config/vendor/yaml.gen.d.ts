/**
 * The types of yaml.gen.js (the `yaml` package's ES module build, bundled by
 * tools/vendor.ts): the package's own declarations.
 *
 * @module
 */
export * from "yaml";
