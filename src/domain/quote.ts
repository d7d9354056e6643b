/**
 * Short excerpts of what a user wrote, for error messages: a value is quoted whole when it is short,
 * and cut with an ellipsis when it is not, so that a 20 MB value never makes a 20 MB message.
 *
 * @module
 */

/** How many characters of a value an error message quotes. */
export const QUOTE_LIMIT = 80;

/**
 * Quotes `text` as a JSON string of at most about `max` characters (escapes count), with `…` after
 * the closing quote when it was cut.
 *
 * @example
 * ```ts
 * import { quote } from "./quote.ts";
 * quote("db"); // "\"db\""
 * quote("x".repeat(1000)).length < 90; // true
 * ```
 */
export function quote(text: string, max = QUOTE_LIMIT): string {
  let out = "";
  let used = 0;
  for (const char of text) {
    if (out.length >= max) break;
    out += JSON.stringify(char).slice(1, -1);
    used += char.length;
  }
  return used < text.length ? `"${out}"…` : `"${out}"`;
}

/** Cuts `text` to at most `max` characters, ending in `…` when it was cut. */
export function clip(text: string, max = QUOTE_LIMIT): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
