/**
 * zod as the config layer imports it: `z`, the members orch calls, from the bundle tools/vendor.ts
 * builds (without the 65 locale modules zod's classic build loads), with zod's own types.
 *
 * @module
 */
export * as z from "./zod.gen.js";
