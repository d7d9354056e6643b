/**
 * The types of yaml.gen.js (the `yaml` package's ES module build, bundled by
 * tools/vendor_yaml.ts): the package's own declarations.
 *
 * @module
 */
export * from "yaml";
