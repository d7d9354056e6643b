/**
 * Which format a config file is, and how each format is translated into the stack file shape.
 *
 * @module
 */
import type { Translation } from "./translation.ts";

/** The formats orch reads. */
export type FormatName = "stack" | "orchestrate-toml" | "services-toml";

/** A format that has its own schema and translation. */
export interface TranslatedFormat {
  readonly name: FormatName;
  // deno-lint-ignore no-explicit-any
  readonly schema: any;
  // deno-lint-ignore no-explicit-any
  readonly translate: (data: any) => Translation;
}

/**
 * Decides a file's format from its syntax and top-level keys: YAML is always a stack file; TOML with
 * `[[task]]` is orchestrate.toml, with `[[services]]` the services format, else a stack file in TOML.
 * A format's schema and translation load when a file of it is read.
 */
export async function detectFormat(
  syntax: "yaml" | "toml",
  data: unknown,
): Promise<TranslatedFormat | undefined> {
  if (syntax !== "toml" || data === null || typeof data !== "object") return undefined;
  if ("task" in data) {
    const { orchestrateTomlSchema, translateOrchestrateToml } = await import(
      "./orchestrate_toml.ts"
    );
    return {
      name: "orchestrate-toml",
      schema: orchestrateTomlSchema,
      translate: translateOrchestrateToml,
    };
  }
  if ("services" in data && Array.isArray((data as { services: unknown }).services)) {
    const { servicesTomlSchema, translateServicesToml } = await import("./services_toml.ts");
    return { name: "services-toml", schema: servicesTomlSchema, translate: translateServicesToml };
  }
  return undefined;
}
