/**
 * Reading the files of a project: directories expanded, each file classified (a stack file, orch's
 * flow file, Conducktor's flow file, a Petit job or Petit's global file), flows interpolated with
 * the stack's variables (`${config.*}`, `${payload.*}` and `${tasks.*}` are left for the run).
 *
 * @module
 */
import type { ConfigIssue } from "../../domain/mod.ts";
import { type LoaderFs, REAL_FS } from "../fs.ts";
import { interpolateString } from "../interpolate.ts";
import type { YamlParses } from "../parses.ts";
import { type FieldPath, formatPath, type Locator } from "../source.ts";

/** What a file holds. */
export type FileKind = "stack" | "flow" | "conducktor" | "petit-job" | "petit-global";

/** A read and parsed file. */
export interface SourceFile {
  readonly file: string;
  readonly kind: FileKind;
  readonly text: string;
  /** Parsed data; `undefined` when it could not be parsed (stack files: the stack loader says why). */
  readonly data: Record<string, unknown> | undefined;
  readonly locate: Locator;
}

const FLOW_FILE_EXTENSIONS = /\.(ya?ml)$/i;

/** The paths given, directories replaced by the YAML files in them (sorted, not recursive). */
export async function expandPaths(
  paths: readonly string[],
  fs: LoaderFs = REAL_FS,
): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    let isDir = false;
    try {
      isDir = (await fs.stat(path)).isDirectory;
    } catch {
      // missing: the reader says so
    }
    if (!isDir) {
      out.push(path);
      continue;
    }
    const names: string[] = [];
    for (const entry of await fs.readDir(path)) {
      if (entry.isFile && !entry.name.startsWith(".") && FLOW_FILE_EXTENSIONS.test(entry.name)) {
        names.push(entry.name);
      }
    }
    out.push(...names.sort().map((n) => `${path.replace(/\/+$/, "")}/${n}`));
  }
  return out;
}

/** Whether parsed data looks like a Conducktor flow (tasks as a list). */
export function isConducktorFlow(data: Record<string, unknown>): boolean {
  return Array.isArray(data.tasks) && !("services" in data) && !("flows" in data);
}

/** Whether parsed data is a Petit job: tasks by name with `program`, or Petit's own keys. */
export function isPetitJob(data: Record<string, unknown>): boolean {
  const tasks = data.tasks;
  if (!tasks || typeof tasks !== "object" || Array.isArray(tasks)) return false;
  if ("max_concurrency" in data || "depends_on" in data) return true;
  return Object.values(tasks).some((t) =>
    t !== null && typeof t === "object" && ("program" in t || "type" in t)
  );
}

/** Whether parsed data is Petit's global file. */
export function isPetitGlobal(data: Record<string, unknown>): boolean {
  return !("tasks" in data) && ("executor" in data || "resources" in data || "storage" in data);
}

export { dirname } from "../project_dir.ts";

/** Decides what parsed YAML data is. */
export function classify(data: Record<string, unknown>): FileKind {
  if ("services" in data || "flows" in data || "stack" in data || "version" in data) {
    return "stack";
  }
  if (isConducktorFlow(data)) return "conducktor";
  if (isPetitJob(data)) return "petit-job";
  if (isPetitGlobal(data)) return "petit-global";
  if (data.tasks && typeof data.tasks === "object") return "flow";
  return "stack";
}

/**
 * Reads and classifies one file. A file that cannot be read or parsed is handed to the stack
 * loader as a stack file, which reports why.
 */
export async function readSource(
  file: string,
  read: (path: string) => Promise<string>,
  parses: YamlParses,
): Promise<SourceFile> {
  const none: Locator = () => undefined;
  let text: string;
  try {
    text = await read(file);
  } catch {
    return { file, kind: "stack", text: "", data: undefined, locate: none };
  }
  if (/\.toml$/i.test(file)) return { file, kind: "stack", text, data: undefined, locate: none };
  const parsed = parses.parse(file, text);
  const data = parsed.ok ? parsed.source.data : undefined;
  if (!parsed.ok || data === null || typeof data !== "object" || Array.isArray(data)) {
    return { file, kind: "stack", text, data: undefined, locate: none };
  }
  const record = data as Record<string, unknown>;
  return { file, kind: classify(record), text, data: record, locate: parsed.source.locate };
}

const FLOW_REFERENCE = /\$\{(?:config|payload|tasks)\.[^}]*\}/g;

/**
 * Interpolates `${VAR}` in every string of a flow's data (`$$` is a `$`), leaving the references
 * the run expands (`${config.KEY}`, `${payload.KEY}`, `${tasks.TASK.KEY}`).
 */
export function interpolateFlow(
  data: unknown,
  lookup: (name: string) => string | undefined,
  prefix: FieldPath,
): { data: unknown; issues: { path: FieldPath; message: string }[] } {
  const issues: { path: FieldPath; message: string }[] = [];
  const one = (text: string, path: FieldPath): string => {
    let out = "";
    let last = 0;
    for (const match of text.matchAll(FLOW_REFERENCE)) {
      out += piece(text.slice(last, match.index), path) + match[0];
      last = match.index! + match[0].length;
    }
    return out + piece(text.slice(last), path);
  };
  const piece = (text: string, path: FieldPath): string => {
    if (!text.includes("$")) return text;
    const result = interpolateString(text, lookup);
    for (const message of result.errors) issues.push({ path, message });
    return result.value.replaceAll("$$", "$");
  };
  const walk = (value: unknown, path: FieldPath): unknown => {
    if (typeof value === "string") return value.includes("$") ? one(value, path) : value;
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]));
    if (value !== null && typeof value === "object" && !(value instanceof Date)) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) out[key] = walk(item, [...path, key]);
      return out;
    }
    return value;
  };
  return { data: walk(data, prefix), issues };
}

/** A located issue: file, line and column (moved `offset` characters into a value), path. */
export function locatedIssue(
  source: { file: string; text: string; locate: Locator },
  path: FieldPath,
  message: string,
  extra: { hint?: string; offset?: number; key?: boolean } = {},
): ConfigIssue {
  const pos = source.locate(path, { key: extra.key });
  let column = pos?.column;
  if (pos && extra.offset) {
    const line = source.text.split(/\r?\n/)[pos.line - 1] ?? "";
    const quoted = line[pos.column - 1] === '"' || line[pos.column - 1] === "'";
    column = pos.column + (quoted ? 1 : 0) + extra.offset;
  }
  return {
    file: source.file,
    line: pos?.line,
    column,
    path: formatPath(path),
    message,
    ...(extra.hint ? { hint: extra.hint } : {}),
  };
}
