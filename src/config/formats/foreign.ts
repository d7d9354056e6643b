/**
 * What the foreign formats (Compose, process-compose, Procfile) share: the translated file handed to
 * the loader, a path map from the stack file's paths back to the user's own, warnings located in
 * the user's file, and the small parsers they all need (shell words, durations, literal dollars).
 *
 * @module
 */
import type { ConfigIssue } from "../../domain/mod.ts";
import type { YamlParses } from "../parses.ts";
import {
  type FieldPath,
  formatPath,
  type Locator,
  type ParseOutcome,
  parseYaml,
} from "../source.ts";

/** One file translated into the stack file shape, as the loader merges it. */
export interface TranslatedFile {
  readonly file: string;
  readonly stackFile: Record<string, unknown>;
  /** Finds a path of the user's file. */
  readonly locate: Locator;
  /** Maps a path of the stack file to the path in the user's file. */
  readonly translate: (path: FieldPath) => FieldPath;
}

/** What loading a foreign file gives the loader. */
export interface ForeignLoad {
  readonly format: "compose" | "process-compose" | "procfile";
  /** Translated files in merge order (included Compose files first). */
  readonly results: readonly TranslatedFile[];
  readonly issues: readonly ConfigIssue[];
  readonly warnings: readonly ConfigIssue[];
  /** How many of the loader's files this consumed (consecutive Compose files merge as Compose does). */
  readonly consumed: number;
}

/** What the foreign loaders need from the loader. */
export interface ForeignOptions {
  readonly read: (path: string) => Promise<string>;
  /** The process environment (not orch's `.env`: each format reads its own). */
  readonly env: (name: string) => string | undefined;
  /** Compose profiles to enable (`--profile`); `COMPOSE_PROFILES` adds to them. */
  readonly profiles?: readonly string[];
  /** Procfile instance counts (`-m web=2,worker=1`). */
  readonly formation?: Readonly<Record<string, number>>;
  /** The load's YAML parses, shared with the stack loader's. */
  readonly parses?: YamlParses;
}

/** How a foreign loader parses YAML: through the load's shared parses when it has them. */
export function yamlOf(options: ForeignOptions): (file: string, text: string) => ParseOutcome {
  const parses = options.parses;
  return parses ? (file, text) => parses.parse(file, text) : parseYaml;
}

/**
 * Paths of the stack file mapped to paths of the user's file. A lookup takes the longest recorded
 * prefix; entries made with `descend` append the rest of the path (fields named alike on both sides).
 */
export class PathMap {
  readonly #entries = new Map<string, { user: FieldPath; descend: boolean }>();

  /** Records that `stackPath` was written at `userPath`. */
  set(stackPath: FieldPath, userPath: FieldPath, options: { descend?: boolean } = {}): void {
    this.#entries.set(JSON.stringify(stackPath), {
      user: userPath,
      descend: options.descend ?? false,
    });
  }

  /** The user's path for a stack path (the nearest recorded ancestor). */
  translate(path: FieldPath): FieldPath {
    for (let n = path.length; n >= 0; n--) {
      const hit = this.#entries.get(JSON.stringify(path.slice(0, n)));
      if (hit) return hit.descend ? [...hit.user, ...path.slice(n)] : hit.user;
    }
    return [];
  }
}

/** Builds located issues for one file. */
export function issueAt(
  file: string,
  locate: Locator,
  path: FieldPath,
  message: string,
  hint?: string,
): ConfigIssue {
  const pos = locate(path);
  return {
    file,
    line: pos?.line,
    column: pos?.column,
    path: formatPath(path),
    message,
    ...(hint ? { hint } : {}),
  };
}

/**
 * Splits a command line into words as a POSIX shell would, without expanding anything: single
 * quotes are literal, double quotes keep spaces and honour `\"`, `\\`, `\$`; a backslash outside
 * quotes escapes the next character. Returns undefined when a quote is not closed.
 */
export function shellWords(text: string): string[] | undefined {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return undefined;
      word += text.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === "\\" && j + 1 < text.length && '"\\$`'.includes(text[j + 1])) j++;
        word += text[j];
      }
      if (j >= text.length) return undefined;
      i = j;
      inWord = true;
    } else if (c === "\\" && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Quotes one word for `sh` (single quotes, `'` as `'\''`). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_\/.:=@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * Writes a literal text in orch's syntax for fields expanded when an instance starts (commands,
 * env, probe commands): `$` before `{` or `$` is doubled, so that neither orch's interpolation nor
 * its per-instance expansion touches it.
 */
export function literalDollars(text: string): string {
  return text.replace(/\$\$|\$(?=\{)/g, (m) => (m === "$$" ? "$$$$" : "$$"));
}

const GO_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  ms: 1,
  s: 1e3,
  m: 6e4,
  h: 36e5,
};

/**
 * Parses a Go-style duration as Compose writes them (`1m30s`, `1.5s`, `500ms`, `10us`) into
 * milliseconds; a plain number is seconds. Undefined when it is not one.
 */
export function parseGoDuration(value: unknown): number | undefined {
  if (typeof value === "number") {
    return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  }
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const part = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < text.length) {
    part.lastIndex = at;
    const match = part.exec(text);
    if (!match) return undefined;
    total += Number(match[1]) * GO_UNITS[match[2]];
    at = part.lastIndex;
  }
  return text.length > 0 ? Math.round(total) : undefined;
}

/** A duration in orch's syntax: whole seconds as `"30s"`, otherwise milliseconds. */
export function orchDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Resolves YAML merge keys (`<<: *anchor`, or a list of them) left in parsed data; own keys win. */
export function resolveMergeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolveMergeKeys);
  if (value === null || typeof value !== "object" || value instanceof Date) return value;
  const own = value as Record<string, unknown>;
  const out: Record<string, unknown> = Object.create(null);
  if ("<<" in own) {
    const sources = Array.isArray(own["<<"]) ? own["<<"] : [own["<<"]];
    for (const source of sources.slice().reverse()) {
      const resolved = resolveMergeKeys(source);
      if (resolved && typeof resolved === "object" && !Array.isArray(resolved)) {
        Object.assign(out, resolved);
      }
    }
  }
  for (const [key, item] of Object.entries(own)) {
    if (key !== "<<") out[key] = resolveMergeKeys(item);
  }
  return out;
}

/** The directory of a path. */
export function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** `to` relative to the directory `from` (both absolute), for paths written in stack files. */
export function relativePath(from: string, to: string): string {
  const a = from.split("/").filter(Boolean);
  const b = to.split("/").filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const up = a.slice(i).map(() => "..");
  const rest = [...up, ...b.slice(i)].join("/");
  return rest === "" ? "." : up.length === 0 ? `./${rest}` : rest;
}

/** Resolves a path written relative to `base` (absolute, `~` for HOME), normalising `.` and `..`. */
export function resolveFrom(base: string, path: string, home = "/"): string {
  const full = path.startsWith("/")
    ? path
    : path === "~" || path.startsWith("~/")
    ? `${home}/${path.slice(1)}`
    : `${base}/${path}`;
  const out: string[] = [];
  for (const part of full.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}
