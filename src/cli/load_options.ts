/**
 * The loader options the CLI's `--profile` and `-m` make, and printing the loader's warnings:
 * apart from the interop commands, so that `orch up` loads neither the YAML library nor the
 * exporters to use them.
 *
 * @module
 */
import { parseFormation } from "../config/cached/mod.ts";
import { type ConfigIssue, formatIssue, UsageError } from "../domain/mod.ts";
import type { CliIO } from "./io.ts";

/** Options of commands that load a foreign format. */
export interface InteropLoadOptions {
  readonly profile?: readonly string[];
  readonly formation?: string;
}

/** Turns the CLI's `--profile` and `-m` into loader options. */
export function loadOptionsOf(
  options: InteropLoadOptions,
): { profiles?: readonly string[]; formation?: Record<string, number> } {
  let formation: Record<string, number> | undefined;
  if (options.formation) {
    try {
      formation = parseFormation(options.formation);
    } catch (error) {
      throw new UsageError(`-m/--formation: ${(error as Error).message} (use web=2,worker=1)`);
    }
  }
  return {
    ...(options.profile?.length ? { profiles: options.profile } : {}),
    ...(formation ? { formation } : {}),
  };
}

/** Prints the loader's warnings (what a foreign format could not map). */
export function printWarnings(
  io: CliIO,
  warnings: readonly ConfigIssue[],
  label = "warning",
): void {
  for (const w of warnings) io.err(`${label}: ${formatIssue(w)}\n`);
}
