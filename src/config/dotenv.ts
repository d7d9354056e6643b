/**
 * `.env` files: `KEY=value` lines, `export KEY=value`, `#` comments, single quotes taken literally,
 * double quotes with `\n` `\t` `\"` `\\` escapes.
 *
 * @module
 */
import { envFileUnreadable, quote } from "../domain/mod.ts";

/** One problem in an env file, by line. */
export interface DotenvIssue {
  readonly line: number;
  readonly message: string;
}

/** How many unreadable lines are listed one by one; the rest are counted. */
const MAX_LISTED = 10;

/**
 * Parses env-file text into variables (a null-prototype table, so that any name is a plain key) and
 * the lines it could not read, each quoted in short.
 */
export function parseDotenv(text: string): { vars: Record<string, string>; issues: DotenvIssue[] } {
  const vars: Record<string, string> = Object.create(null);
  const issues: DotenvIssue[] = [];
  const lines = text.split(/\r?\n/);
  let unread = 0;
  let moreAt = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === "" || raw.startsWith("#")) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/s.exec(raw);
    if (!match) {
      if (++unread <= MAX_LISTED) {
        issues.push({ line: i + 1, message: `expected KEY=value, found ${quote(raw)}` });
      } else if (unread === MAX_LISTED + 1) moreAt = i + 1;
      continue;
    }
    const [, key, rest] = match;
    let value = rest;
    if (value.startsWith("'")) {
      const end = value.indexOf("'", 1);
      value = end > 0 ? value.slice(1, end) : value.slice(1);
    } else if (value.startsWith('"')) {
      let out = "";
      let j = 1;
      for (; j < value.length && value[j] !== '"'; j++) {
        if (value[j] === "\\" && j + 1 < value.length) {
          const next = value[++j];
          out += next === "n" ? "\n" : next === "t" ? "\t" : next === "r" ? "\r" : next;
        } else out += value[j];
      }
      value = out;
    } else {
      value = value.replace(/\s+#.*$/, "").trim();
    }
    vars[key] = value;
  }
  if (unread > MAX_LISTED) {
    issues.push({
      line: moreAt,
      message: `and ${unread - MAX_LISTED} more lines that are not KEY=value`,
    });
  }
  return { vars, issues };
}

/**
 * Reads an env file into variables when an instance starts; lines that are not `KEY=value` are
 * left out, as they were.
 *
 * @throws {OrchError} naming the file and why, when it cannot be read.
 */
export function readEnvFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "it does not exist"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : error instanceof Deno.errors.IsADirectory
      ? "it is a directory"
      : String((error as Error)?.message ?? error).split("\n")[0].slice(0, 200);
    throw envFileUnreadable(path, why, error);
  }
  return parseDotenv(text).vars;
}
