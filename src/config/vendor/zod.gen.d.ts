/**
 * The types of zod.gen.js (the zod members orch calls, bundled by tools/vendor.ts): the package's
 * own declarations. tests/config/vendor_test.ts checks that what src/ calls is in the bundle.
 *
 * @module
 */
export * from "zod";
