/**
 * The loader: files -> parsed -> interpolated -> validated per format -> merged -> normalized -> frozen.
 * Every problem of every file is collected and thrown at once as a {@link ConfigError}.
 *
 * @module
 */
import { ConfigError, type ConfigIssue } from "../domain/errors.ts";
import type { Stack } from "../domain/model.ts";
import { parseDotenv } from "./dotenv.ts";
import { detectFormat } from "./formats/mod.ts";
import { interpolateTree } from "./interpolate.ts";
import { toConfigIssues } from "./issues.ts";
import { normalizeStack } from "./normalize.ts";
import type { z } from "zod";
import { type StackFile, stackFileSchema } from "./schema.ts";
import { type FieldPath, formatPath, type Locator, parseSource } from "./source.ts";

/** File names looked for in the current directory, in this order, when none is given. */
export const DEFAULT_FILES = [
  "orch.yaml",
  "orch.yml",
  "orch.toml",
  "stack.yaml",
  "stack.yml",
  "orchestrate.toml",
  "services.toml",
] as const;

/** How the loader reaches the outside world; tests pass their own. */
export interface LoadOptions {
  /** Directory to resolve relative file names against and to search for default files. */
  readonly cwd?: string;
  /** Variables for interpolation; `.env` beside the first file fills in what this lacks. */
  readonly env?: (name: string) => string | undefined;
  readonly readTextFile?: (path: string) => Promise<string>;
  /** A stack with no services is valid (it has flows). */
  readonly allowNoServices?: boolean;
}

/** A loaded stack and the files it came from. */
export interface Loaded {
  readonly stack: Stack;
  readonly files: readonly string[];
}

function absolute(cwd: string, path: string): string {
  return path.startsWith("/") ? path : `${cwd.replace(/\/$/, "")}/${path}`;
}

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/**
 * Finds the config file when none is named: the first of {@link DEFAULT_FILES} in `cwd`.
 *
 * @throws {ConfigError} when there is none.
 */
export async function findDefaultFile(cwd: string): Promise<string> {
  for (const name of DEFAULT_FILES) {
    try {
      const info = await Deno.stat(`${cwd}/${name}`);
      if (info.isFile) return `${cwd}/${name}`;
    } catch {
      // not this one
    }
  }
  throw new ConfigError([{
    file: cwd,
    path: "",
    message: `no config file found (looked for ${DEFAULT_FILES.join(", ")})`,
    hint: "pass one with -f FILE, or create one with `orch init`",
  }], "no configuration");
}

interface FileResult {
  readonly file: string;
  readonly stackFile: Record<string, unknown>;
  readonly locate: Locator;
  readonly translate: (path: FieldPath) => FieldPath;
}

/**
 * Loads and validates a stack from one or more files; later files override earlier ones.
 *
 * @param files Paths as given on the command line; empty to use the default file.
 * @throws {ConfigError} with every problem found, each with file, line, column and field path.
 */
export async function loadStack(
  files: readonly string[],
  options: LoadOptions = {},
): Promise<Loaded> {
  const cwd = options.cwd ?? Deno.cwd();
  const read = options.readTextFile ?? Deno.readTextFile;
  const paths = files.length > 0
    ? files.map((f) => absolute(cwd, f))
    : [await findDefaultFile(cwd)];
  const baseDir = dirname(paths[0]);
  const envLookup = options.env ?? ((name: string) => Deno.env.get(name));
  const issues: ConfigIssue[] = [];
  const dotenv = await readDotenv(`${baseDir}/.env`, read, issues);
  const lookup = (name: string) => envLookup(name) ?? dotenv[name];

  const results: FileResult[] = [];
  let unreadable = false;
  for (const file of paths) {
    const result = await loadOne(file, read, lookup, issues);
    if (result) results.push(result);
    else unreadable = true;
  }
  if (unreadable) throw new ConfigError(issues);

  // Files with schema errors were salvaged (bad fields dropped), so that the whole-stack checks still
  // run and every error is reported at once.
  const merged = results.map((r) => r.stackFile).reduce(mergeDeep, {});
  const locate = mergedLocator(results);
  const { data, zodIssues } = salvage(merged);
  issues.push(...toConfigIssues(zodIssues, merged, stackFileSchema, locate));
  const reported = issues.map((i) => i.path);
  const normalized = normalizeStack(data, {
    baseDir,
    files: paths,
    allowNoServices: options.allowNoServices,
  });
  for (const issue of normalized.issues) {
    const target = locate.at(issue.path);
    if (reported.some((p) => p !== "" && target.path.startsWith(p))) continue;
    issues.push({ ...target, message: issue.message, ...(issue.hint ? { hint: issue.hint } : {}) });
  }
  if (issues.length > 0 || !normalized.stack) throw new ConfigError(issues);
  return { stack: normalized.stack, files: paths };
}

/**
 * Parses with the stack schema, dropping each field that fails until what is left parses; returns the
 * parsed remainder and the issues of the first attempt.
 */
function salvage(data: Record<string, unknown>): {
  data: StackFile;
  zodIssues: z.core.$ZodIssue[];
} {
  let current: unknown = structuredClone(data);
  let first: z.core.$ZodIssue[] | undefined;
  for (let round = 0; round < 8; round++) {
    const parsed = stackFileSchema.safeParse(current);
    if (parsed.success) return { data: parsed.data, zodIssues: first ?? [] };
    first ??= parsed.error.issues;
    for (const issue of parsed.error.issues) {
      const paths = issue.code === "unrecognized_keys"
        ? issue.keys.map((k) => [...issue.path, k])
        : [issue.path.length > 0 ? issue.path : []];
      for (const path of paths) current = dropAt(current, path as (string | number)[]);
    }
  }
  return { data: {}, zodIssues: first ?? [] };
}

function dropAt(data: unknown, path: (string | number)[]): unknown {
  if (path.length === 0) return {};
  const [head, ...rest] = path;
  if (Array.isArray(data)) {
    if (rest.length === 0) return data.filter((_, i) => i !== head);
    return data.map((item, i) => (i === head ? dropAt(item, rest) : item));
  }
  if (isTable(data)) {
    if (rest.length === 0) {
      const { [head]: _dropped, ...others } = data;
      return others;
    }
    return { ...data, [head]: dropAt(data[head], rest) };
  }
  return data;
}

async function readDotenv(
  path: string,
  read: (path: string) => Promise<string>,
  issues: ConfigIssue[],
): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await read(path);
  } catch {
    return {};
  }
  const parsed = parseDotenv(text);
  for (const issue of parsed.issues) {
    issues.push({ file: path, line: issue.line, column: 1, path: "", message: issue.message });
  }
  return parsed.vars;
}

async function loadOne(
  file: string,
  read: (path: string) => Promise<string>,
  lookup: (name: string) => string | undefined,
  issues: ConfigIssue[],
): Promise<FileResult | undefined> {
  let text: string;
  try {
    text = await read(file);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "file not found"
      : error instanceof Deno.errors.IsADirectory
      ? "is a directory"
      : `cannot read: ${(error as Error).message}`;
    issues.push({ file, path: "", message: reason });
    return undefined;
  }
  const parsed = parseSource(file, text);
  if (!parsed.ok) {
    issues.push(...parsed.issues);
    return undefined;
  }
  const { source } = parsed;
  if (source.data === null || typeof source.data !== "object" || Array.isArray(source.data)) {
    issues.push({
      file,
      line: 1,
      column: 1,
      path: "",
      message: "expected a table of settings at the top level",
    });
    return undefined;
  }
  const interpolated = interpolateTree(stripExtensions(source.data), lookup);
  for (const issue of interpolated.issues) {
    const pos = source.locate(issue.path);
    issues.push({
      file,
      line: pos?.line,
      column: pos?.column,
      path: formatPath(issue.path),
      message: issue.message,
    });
  }
  const format = detectFormat(source.syntax, interpolated.data);
  let stackFile = interpolated.data as Record<string, unknown>;
  let translate = (path: FieldPath) => path;
  if (format) {
    const own = format.schema.safeParse(interpolated.data);
    if (!own.success) {
      issues.push(
        ...toConfigIssues(own.error.issues, interpolated.data, format.schema, {
          file,
          locate: source.locate,
        }),
      );
      return undefined;
    }
    const translation = format.translate(own.data);
    for (const [name, path] of translation.duplicateNames) {
      const pos = source.locate(path);
      issues.push({
        file,
        line: pos?.line,
        column: pos?.column,
        path: formatPath(path),
        message: `service "${name}" is defined more than once`,
      });
    }
    stackFile = translation.stackFile;
    translate = translation.translate;
  }
  return { file, stackFile, locate: source.locate, translate };
}

/** Top-level sections read by the flows loader (`src/config/flows/`), not by this one. */
export const FLOW_SECTIONS: ReadonlySet<string> = new Set(["flows", "pools", "scheduler"]);

/**
 * Drops `x-` extension keys at the top level and in each service (for YAML anchors), and the
 * sections of flows.
 */
function stripExtensions(data: object): object {
  const strip = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith("x-")));
  const top = Object.fromEntries(
    Object.entries(strip(data as Record<string, unknown>)).filter(([k]) => !FLOW_SECTIONS.has(k)),
  );
  const services = top.services;
  if (services && typeof services === "object" && !Array.isArray(services)) {
    top.services = Object.fromEntries(
      Object.entries(services).map(([k, v]) => [
        k,
        v && typeof v === "object" && !Array.isArray(v) ? strip(v as Record<string, unknown>) : v,
      ]),
    );
  }
  return top;
}

/** Merges `b` over `a`: tables merge key by key, everything else (lists too) is replaced. */
export function mergeDeep(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const prev = out[key];
    out[key] = isTable(prev) && isTable(value) ? mergeDeep(prev, value) : value;
  }
  return out;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function has(data: unknown, path: FieldPath): number {
  let value = data;
  let depth = 0;
  for (const part of path) {
    if (value === null || typeof value !== "object" || !(part in (value as object))) break;
    value = (value as Record<string | number, unknown>)[part];
    depth++;
  }
  return depth;
}

/** Finds a merged field in the last file that sets it (or most of its path). */
function mergedLocator(results: readonly FileResult[]) {
  const pick = (path: FieldPath) => {
    let best = results[results.length - 1];
    let bestDepth = -1;
    for (let i = results.length - 1; i >= 0; i--) {
      const depth = has(results[i].stackFile, path);
      if (depth > bestDepth) {
        best = results[i];
        bestDepth = depth;
      }
    }
    return best;
  };
  const locate: Locator = (path, options) => {
    const r = pick(path);
    return r?.locate(r.translate(path), options);
  };
  return {
    file: results[0]?.file ?? "",
    locate,
    translate: (path: FieldPath) => pick(path)?.translate(path) ?? path,
    at(path: FieldPath): ConfigIssue {
      const r = pick(path);
      const userPath = r ? r.translate(path) : path;
      const pos = r?.locate(userPath);
      return {
        file: r?.file ?? "",
        line: pos?.line,
        column: pos?.column,
        path: formatPath(userPath),
        message: "",
      };
    },
  };
}
