/**
 * Loading a project: the stack (through the stack loader) and its flows, from the `flows:` section
 * of stack files, orch's flow files, Conducktor's flow files and Petit's job and global files,
 * given with `-f` (files or directories). Every problem of every file is thrown at once as a
 * {@link ConfigError}, each located (file, line, column, field path, did-you-mean).
 *
 * @module
 */
import { ConfigError, type ConfigIssue, type FlowSet, type Stack } from "../../domain/mod.ts";
import { parseDotenv } from "../dotenv.ts";
import { findDefaultFile, FLOW_SECTIONS, type LoadOptions, loadStack } from "../load.ts";
import { BUILTIN, nameFromDirectory } from "../normalize.ts";
import { YamlParses } from "../parses.ts";
import { projectDirOf } from "../project_dir.ts";
import type { Collected } from "./collect.ts";
import { dirname, expandPaths, readSource } from "./sources.ts";
import { pushAll } from "../issues.ts";

/** A loaded project: what `orch up` runs. */
export interface Project {
  /** The services (none when only flow files were given). */
  readonly stack: Stack;
  readonly flows: FlowSet;
  /** Every file read, directories expanded, in order. */
  readonly files: readonly string[];
  /** The stack files among them (what the stack loader reads again on `apply`). */
  readonly stackFiles: readonly string[];
  /** The project directory, where `.orch/` lives. */
  readonly project: string;
  /** What could not be mapped from a foreign stack format (the stack loader's warnings). */
  readonly warnings: readonly ConfigIssue[];
}

/** A project without flows. */
const NO_FLOWS: Collected = Object.freeze({
  flows: Object.freeze(Object.create(null)),
  pools: Object.freeze(Object.create(null)),
  maxExecutors: undefined,
  db: undefined,
});

/**
 * Loads the stack and its flows from `files` (files or directories; the default file when empty).
 *
 * @throws {ConfigError} with every problem found.
 */
export async function loadProject(
  files: readonly string[],
  options: LoadOptions = {},
): Promise<Project> {
  const cwd = options.cwd ?? Deno.cwd();
  const read = options.readTextFile ?? Deno.readTextFile;
  const given = files.length > 0
    ? files.map((f) => (f.startsWith("/") ? f : `${cwd.replace(/\/$/, "")}/${f}`))
    : [await findDefaultFile(cwd, options.fs)];
  // A directory's project is its parent, as a file's is its directory (what `up` claims early).
  const project = projectDirOf(cwd, files);
  const paths = await expandPaths(given, options.fs);
  if (paths.length === 0) {
    throw new ConfigError([{
      file: given[0],
      path: "",
      message: "no YAML files in this directory",
    }]);
  }
  // Each file is parsed once: the stack loader and the format check take the same parses.
  const parses = new YamlParses();
  const sources = await Promise.all(paths.map((p) => readSource(p, read, parses)));
  const issues: ConfigIssue[] = [];
  const env = await lookupFor(dirname(paths[0]), read, options);

  const stackSources = sources.filter((s) => s.kind === "stack");
  // The flows' modules (their schemas, croner) only for a project that has flows.
  const withFlows = sources.some((s) => s.kind !== "stack") ||
    stackSources.some((s) => s.data && Object.keys(s.data).some((k) => FLOW_SECTIONS.has(k)));
  const part = withFlows ? await import("./collect.ts") : undefined;
  const sections = part?.readSections(stackSources, env, issues);
  const hasFlows = Object.keys(sections?.flows ?? {}).length > 0 ||
    sources.some((s) => s.kind !== "stack" && s.kind !== "petit-global");

  let stack: Stack | undefined;
  let warnings: readonly ConfigIssue[] = [];
  if (stackSources.length > 0) {
    try {
      const loaded = await loadStack(stackSources.map((s) => s.file), {
        ...options,
        cwd,
        allowNoServices: hasFlows,
        parses,
      });
      stack = loaded.stack;
      warnings = loaded.warnings;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      pushAll(issues, error.issues);
    }
  } else {
    stack = emptyStack(project, paths);
  }
  const stackDir = stack?.workdir ?? dirname(stackSources[0]?.file ?? paths[0]);
  const collected = part && sections
    ? part.collectFlows(sources, sections, stack, stackDir, issues, env)
    : NO_FLOWS;
  if (issues.length > 0 || !stack) throw new ConfigError(issues);
  return {
    stack,
    flows: Object.freeze({
      ...collected,
      ...(sections?.swarmHost !== undefined ? { swarmHost: sections.swarmHost } : {}),
    }),
    files: paths,
    stackFiles: stackSources.map((s) => s.file),
    project,
    warnings,
  };
}

/** Variables for interpolation: the environment, then `.env` in `dir`. */
async function lookupFor(
  dir: string,
  read: (path: string) => Promise<string>,
  options: LoadOptions,
): Promise<(name: string) => string | undefined> {
  const envLookup = options.env ?? ((name: string) => Deno.env.get(name));
  let dotenv: Record<string, string> = {};
  try {
    dotenv = parseDotenv(await read(`${dir}/.env`)).vars;
  } catch {
    // no .env
  }
  return (name) => envLookup(name) ?? dotenv[name];
}

/** The stack of a project given only flow files: no services. */
function emptyStack(project: string, files: readonly string[]): Stack {
  return Object.freeze({
    name: nameFromDirectory(project),
    workdir: project,
    files: Object.freeze([...files]),
    services: Object.freeze({}),
    shutdownTimeoutMs: BUILTIN.shutdownTimeoutMs,
  });
}
