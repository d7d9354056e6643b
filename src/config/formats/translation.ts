/**
 * What translating a foreign config format gives: the stack file shape, and the way back to the
 * file's own field paths.
 *
 * @module
 */
import type { FieldPath } from "../source.ts";

/** A file translated into the stack file shape, and the way back to its own field paths. */
export interface Translation {
  readonly stackFile: Record<string, unknown>;
  readonly translate: (path: FieldPath) => FieldPath;
  /** Names used twice (the TOML formats list services as arrays), with where the repeat is. */
  readonly duplicateNames: readonly [string, FieldPath][];
}
