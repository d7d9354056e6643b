/**
 * zod as the config layer imports it: `z`, the members orch calls, from the bundle tools/vendor.ts
 * builds (without the 65 locale modules zod's classic build loads), with zod's own types.
 *
 * zod's JIT is off: it compiles each object schema into a function (`new Function`) on its first
 * parse, which a config validated once a process does not win back (`orch validate` of a changed
 * 4-service stack 3 ms faster without it, a 100-service one the same), and without it the config
 * layer evaluates no generated code.
 *
 * @module
 */
import * as z from "./zod.gen.js";

z.config({ jitless: true });

export { z };
