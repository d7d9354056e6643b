/**
 * Making a service's text safe for a terminal: a line a child printed may carry escape sequences
 * that set the window title (OSC 0/2), write the clipboard (OSC 52), clear the screen (CSI 2J), move
 * the cursor, or reset the terminal (ESC c). Those are removed; colours (SGR, `ESC [ ... m`) may be
 * kept. C1 controls (U+0080 to U+009F, which some terminals treat as ESC + a letter), lone ESCs and
 * the other C0 controls go too; tabs stay.
 *
 * @module
 */

// One alternation, matched left to right:
//   CSI (ESC [ or U+009B) params, intermediates, final;
//   OSC, DCS, SOS, PM, APC strings (ESC ] P X ^ _ or their C1 forms) up to BEL or ST, or to the
//   end of the text when unterminated (a terminal would swallow what follows too);
//   any other escape: ESC, intermediates, a final (or a lone ESC);
//   a control character other than tab and newline.
const SEQUENCES =
  // deno-lint-ignore no-control-regex
  /(?:\x1b\[|\x9b)([0-?]*)([ -/]*)([@-~])|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[ -/]*[0-~]?|[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
// deno-lint-ignore no-control-regex
const ANY_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

/** What to keep of a line's escape sequences. */
export interface SanitizeOptions {
  /** Keep SGR sequences (colours, bold, underline); the default is to remove them too. */
  readonly colors?: boolean;
}

/**
 * Removes every escape sequence and control character from `text` but tabs and newlines (and, with
 * `colors`, SGR sequences).
 *
 * @example
 * ```ts
 * import { sanitize } from "./escapes.ts";
 * sanitize("\x1b]52;c;aGk=\x07\x1b[31mred\x1b[0m\x1b[2J", { colors: true }); // "\x1b[31mred\x1b[0m"
 * ```
 */
export function sanitize(text: string, options: SanitizeOptions = {}): string {
  if (!ANY_CONTROL.test(text)) return text;
  const colors = options.colors ?? false;
  return text.replace(
    SEQUENCES,
    (match, params?: string, intermediates?: string, final?: string) =>
      colors && final === "m" && intermediates === "" && match[0] === "\x1b" &&
        /^[0-9;:]*$/.test(params!)
        ? match
        : "",
  );
}

/** Whether `text` (as sanitized with colours) leaves an SGR attribute that needs a reset. */
export function hasSgr(text: string): boolean {
  return text.includes("\x1b[");
}
