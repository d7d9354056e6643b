/**
 * orch's schema kit: validation with typed output and located issues, as the config layer uses it
 * (`z.strictObject`, `z.union`, `z.preprocess`, `.optional()`, `.transform()`), at a fraction of
 * the cost of loading and building zod's schemas.
 *
 * @example
 * ```ts
 * import { z } from "./mod.ts";
 * const port = z.number().int().min(1).max(65535);
 * port.safeParse(80).success; // true
 * ```
 *
 * @module
 */
export * as z from "./z.ts";
