/**
 * What the Compose translation of one project shares: each loaded service with where its keys were
 * written, the context every unit is translated in, and whether a service is active under the
 * profiles.
 *
 * @module
 */
import type { FieldPath, Locator } from "../source.ts";
import type { ComposeService } from "./compose_schema.ts";

/** Where a value is written: which file, and the path in it. */
export interface Origin {
  readonly file: string;
  readonly locate: Locator;
  readonly path: FieldPath;
}

/** A service after merging and `extends`, with where each of its keys was written. */
export interface LoadedService {
  readonly name: string;
  readonly data: ComposeService;
  /** Where the service itself is written. */
  readonly home: Origin;
  /** Where each top-level key of the service is written (the last file that set it). */
  readonly origins: ReadonlyMap<string, Origin>;
  /** The directory relative host paths of this service start from. */
  readonly dir: string;
}

/** What the translation of all units shares. */
export interface ComposeContext {
  readonly project: string;
  /** The stack file's directory: translated paths are relative to it. */
  readonly stackDir: string;
  readonly profiles: ReadonlySet<string>;
  /** Every service of the project (all units), for dependencies across included files. */
  readonly all: ReadonlyMap<string, LoadedService>;
  /** Services some dependent waits for with `service_completed_successfully`. */
  readonly oneshots: ReadonlySet<string>;
  /** Named volumes by key, as the engine names them. */
  readonly volumes: ReadonlyMap<string, string>;
  /** Network keys the project declares. */
  readonly networks: ReadonlySet<string>;
  /** Env files found on disk (absolute). */
  readonly existing: ReadonlySet<string>;
  readonly lookup: (name: string) => string | undefined;
}

/** Whether a service is enabled under the active profiles. */
export function isActive(svc: ComposeService, profiles: ReadonlySet<string>): boolean {
  const own = svc.profiles ?? [];
  return own.length === 0 || profiles.has("*") || own.some((p) => profiles.has(p));
}
