/**
 * Stack file fields that the interop formats need and orch offers to everyone: a container's
 * `entrypoint`, the Docker `networks` a service joins, and the stack's `networks` that orch
 * creates and removes. Kept apart from `schema.ts` so that it stays small.
 *
 * @module
 */
import { z } from "./kit/mod.ts";

const word = z.union([z.string(), z.number()]).transform(String);

/** `entrypoint: [...]`: replaces the image's entrypoint; `[]` resets it. */
export const entrypointSchema = z.array(word);

/** `networks: [a, b]` or `networks: { a: { aliases: [x] } }` on a service. */
export const serviceNetworksSchema = z.preprocess(
  (value) => {
    if (Array.isArray(value)) return Object.fromEntries(value.map((n) => [String(n), {}]));
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, v ?? {}]));
    }
    return value;
  },
  z.record(z.string(), z.strictObject({ aliases: z.array(z.string()).optional() })),
);

/** The stack's networks: `networks: { backend: { driver: bridge } }`. */
export const stackNetworksSchema = z.record(
  z.string(),
  z.preprocess(
    (value) => value ?? {},
    z.strictObject({
      /** The Docker network's name; default STACK_KEY. */
      name: z.string().optional(),
      driver: z.string().optional(),
      /** Made by someone else: used, never created or removed. */
      external: z.boolean().optional(),
      internal: z.boolean().optional(),
      labels: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String))
        .optional(),
    }),
  ),
);
