/**
 * The loader: files -> parsed -> interpolated -> validated per format -> merged -> normalized -> frozen.
 * Every problem of every file is collected and thrown at once as a {@link ConfigError}.
 *
 * @module
 */
import { ConfigError, type ConfigIssue, type Stack } from "../domain/mod.ts";
import { parseDotenv } from "./dotenv.ts";
import { type LoaderFs, REAL_FS } from "./fs.ts";
import { detectFormat } from "./formats/detect.ts";
import { COMPOSE_OVERRIDES, FOREIGN_DEFAULT_FILES, loadForeign } from "./formats/loader.ts";
import { interpolateTree } from "./interpolate.ts";
import { pushAll, toConfigIssues } from "./issues.ts";
import { type FileResult, mergeDeep, mergedLocator } from "./merge.ts";
import { normalizeStack } from "./normalize.ts";
import { YamlParses } from "./parses.ts";
import { DropIndex, salvage } from "./salvage.ts";
import { stackFileSchema } from "./schema.ts";
import { type FieldPath, formatPath, parseSource } from "./source.ts";
import { isTable, nullTable } from "./table.ts";

/** File names looked for in the current directory, in this order, when none is given. */
export const DEFAULT_FILES = [
  "orch.yaml",
  "orch.yml",
  "orch.toml",
  "stack.yaml",
  "stack.yml",
  "orchestrate.toml",
  "services.toml",
  ...FOREIGN_DEFAULT_FILES,
] as const;

/** How the loader reaches the outside world; tests pass their own. */
export interface LoadOptions {
  /** Looking for files and listing directories (reading them is `readTextFile`). */
  readonly fs?: LoaderFs;
  /** Directory to resolve relative file names against and to search for default files. */
  readonly cwd?: string;
  /** Variables for interpolation; `.env` beside the first file fills in what this lacks. */
  readonly env?: (name: string) => string | undefined;
  readonly readTextFile?: (path: string) => Promise<string>;
  /** Compose profiles to enable (`--profile`). */
  readonly profiles?: readonly string[];
  /** Procfile instance counts (`-m web=2,worker=1`). */
  readonly formation?: Readonly<Record<string, number>>;
  /** A stack with no services is valid (it has flows). */
  readonly allowNoServices?: boolean;
  /** YAML parses to share with the caller's own reads of the same files (the project loader's). */
  readonly parses?: YamlParses;
}

/** A loaded stack and the files it came from. */
export interface Loaded {
  readonly stack: Stack;
  readonly files: readonly string[];
  /** What could not be mapped from a foreign format, located in the user's file. */
  readonly warnings: readonly ConfigIssue[];
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
export async function findDefaultFile(cwd: string, fs: LoaderFs = REAL_FS): Promise<string> {
  for (const name of DEFAULT_FILES) {
    try {
      const info = await fs.stat(`${cwd}/${name}`);
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

/** A default Compose file comes with its override file beside it, as `docker compose` loads it. */
async function withComposeOverride(file: string, fs: LoaderFs): Promise<string[]> {
  const override = COMPOSE_OVERRIDES[file.slice(file.lastIndexOf("/") + 1)];
  if (!override) return [file];
  try {
    if ((await fs.stat(`${dirname(file)}/${override}`)).isFile) {
      return [file, `${dirname(file)}/${override}`];
    }
  } catch {
    // none
  }
  return [file];
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
  const parses = options.parses ?? new YamlParses();
  const paths = files.length > 0 ? files.map((f) => absolute(cwd, f)) : await withComposeOverride(
    await findDefaultFile(cwd, options.fs),
    options.fs ?? REAL_FS,
  );
  const baseDir = dirname(paths[0]);
  const envLookup = options.env ?? ((name: string) => Deno.env.get(name));
  const issues: ConfigIssue[] = [];
  const dotenv = await readDotenv(`${baseDir}/.env`, read, issues);
  const lookup = (name: string) => envLookup(name) ?? dotenv[name];

  const results: FileResult[] = [];
  const warnings: ConfigIssue[] = [];
  // Paths dropped by salvage in each file, in that file's own terms.
  const dropped = new Map<string, DropIndex>();
  // A value with a bad variable reference is reported for that; what the schema says of the value
  // left as written would be the same error again.
  const interpolation = new Set<ConfigIssue>();
  const fail = () => new ConfigError(withoutRepeats(issues, interpolation));
  let unreadable = false;
  for (let i = 0; i < paths.length; i++) {
    // Compose, process-compose and Procfile files have loaders of their own (formats/loader.ts).
    const foreign = await loadForeign(paths, i, { ...options, read, env: envLookup, parses });
    if (foreign) {
      pushAll(issues, foreign.issues);
      pushAll(warnings, foreign.warnings);
      pushAll(results, foreign.results);
      if (foreign.results.length === 0) unreadable = true;
      i += foreign.consumed - 1;
      continue;
    }
    const result = await loadOne(paths[i], read, lookup, parses, {
      issues,
      dropped,
      interpolation,
    });
    if (result) results.push(result);
    else unreadable = true;
  }
  if (unreadable) throw fail();

  // Files with schema errors are salvaged (bad fields dropped), so that the whole-stack checks still
  // run and every error is reported at once; an error that only follows from a drop is left out.
  const merged = results.map((r) => r.stackFile).reduce(mergeDeep, nullTable());
  const locate = mergedLocator(results);
  const salvaged = salvage(
    stackFileSchema,
    merged,
    // A service whose entry is wrong stays known by name, so that its dependents do not err too.
    (path) => (path.length === 2 && path[0] === "services" ? nullTable() : undefined),
  );
  pushAll(issues, toConfigIssues(salvaged.issues, merged, stackFileSchema, locate));
  if (salvaged.data === undefined) throw fail();
  const normalized = normalizeStack(salvaged.data, {
    baseDir,
    files: paths,
    allowNoServices: options.allowNoServices,
  });
  const mergedDrops = new DropIndex(salvaged.dropped);
  for (const issue of normalized.issues) {
    const missing = issue.missing ?? false;
    if (mergedDrops.explains(issue.path, missing)) continue;
    const { userPath, ...target } = locate.at(issue.path);
    if (dropped.get(target.file)?.explains(userPath, missing)) continue;
    issues.push({ ...target, message: issue.message, ...(issue.hint ? { hint: issue.hint } : {}) });
  }
  if (issues.length > 0 || !normalized.stack) throw fail();
  return { stack: normalized.stack, files: paths, warnings };
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
    return nullTable();
  }
  const parsed = parseDotenv(text);
  for (const issue of parsed.issues) {
    issues.push({ file: path, line: issue.line, column: 1, path: "", message: issue.message });
  }
  return parsed.vars;
}

/** Issues at or under the path of an interpolation issue of the same file, left out. */
function withoutRepeats(issues: ConfigIssue[], interpolation: Set<ConfigIssue>): ConfigIssue[] {
  if (interpolation.size === 0) return issues;
  const bad = new Set([...interpolation].map((i) => `${i.file}\u0000${i.path}`));
  return issues.filter((issue) => {
    if (interpolation.has(issue)) return true;
    // Each prefix of the path that ends before a "." or "[" (and the whole path) may be bad.
    for (let i = 0; i <= issue.path.length; i++) {
      if (i < issue.path.length && issue.path[i] !== "." && issue.path[i] !== "[") continue;
      if (bad.has(`${issue.file}\u0000${issue.path.slice(0, i)}`)) return false;
    }
    return true;
  });
}

/** Where loading one file puts what it finds. */
interface Findings {
  readonly issues: ConfigIssue[];
  readonly dropped: Map<string, DropIndex>;
  readonly interpolation: Set<ConfigIssue>;
}

async function loadOne(
  file: string,
  read: (path: string) => Promise<string>,
  lookup: (name: string) => string | undefined,
  parses: YamlParses,
  { issues, dropped, interpolation }: Findings,
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
  const parsed = await parseSource(file, text, (f, t) => parses.parse(f, t));
  if (!parsed.ok) {
    pushAll(issues, parsed.issues);
    return undefined;
  }
  const { source } = parsed;
  if (!isTable(source.data)) {
    issues.push({
      file,
      line: 1,
      column: 1,
      path: "",
      message: "expected a table of settings at the top level",
    });
    return undefined;
  }
  const interpolated = interpolateTree(stripExtensions(source.data), lookup) as {
    data: Record<string, unknown>;
    issues: { path: FieldPath; message: string }[];
  };
  for (const issue of interpolated.issues) {
    const pos = source.locate(issue.path);
    const found = {
      file,
      line: pos?.line,
      column: pos?.column,
      path: formatPath(issue.path, { short: true }),
      message: issue.message,
    };
    issues.push(found);
    interpolation.add(found);
  }
  const format = await detectFormat(source.syntax, interpolated.data);
  if (!format) {
    return { file, stackFile: interpolated.data, locate: source.locate, translate: (p) => p };
  }
  // A task or service that cannot be read becomes null, so that the others keep their indexes.
  const own = salvage(
    format.schema,
    interpolated.data,
    (path) => (path.length === 2 && typeof path[1] === "number" ? null : undefined),
  );
  pushAll(
    issues,
    toConfigIssues(own.issues, interpolated.data, format.schema, {
      file,
      locate: source.locate,
    }),
  );
  dropped.set(file, new DropIndex(own.dropped));
  if (own.data === undefined) return undefined;
  const translation = format.translate(own.data);
  for (const [name, path] of translation.duplicateNames) {
    const pos = source.locate(path);
    issues.push({
      file,
      line: pos?.line,
      column: pos?.column,
      path: formatPath(path, { short: true }),
      message: `service "${name}" is defined more than once`,
    });
  }
  return {
    file,
    stackFile: translation.stackFile,
    locate: source.locate,
    translate: translation.translate,
  };
}

/** Top-level sections read by the flows loader (`src/config/flows/`), not by this one. */
export const FLOW_SECTIONS: ReadonlySet<string> = new Set(["flows", "pools", "scheduler"]);

/**
 * Drops `x-` extension keys at the top level and in each service (for YAML anchors), and the
 * sections of flows.
 */
function stripExtensions(data: Record<string, unknown>): Record<string, unknown> {
  const strip = (o: Record<string, unknown>) =>
    nullTable(Object.entries(o).filter(([k]) => !k.startsWith("x-")));
  const top = nullTable(Object.entries(strip(data)).filter(([k]) => !FLOW_SECTIONS.has(k)));
  if (isTable(top.services)) {
    top.services = nullTable(
      Object.entries(top.services).map(([k, v]) => [k, isTable(v) ? strip(v) : v]),
    );
  }
  return top;
}
