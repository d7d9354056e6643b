/**
 * Loading the stack an apply asks for, confined to the project directory: documents sent in the
 * request are read from memory (as files of the project, so that relative paths and `.env` work as
 * for a file there); a file named in the request must be a stack file (`.yaml`, `.yml`, `.toml`)
 * that lies inside the project after symlinks are resolved. Every read the loader makes goes
 * through the same check, so nothing outside the project is read, and no error can quote it.
 *
 * @module
 */
import type { StackSource } from "../control/mod.ts";
import type { Loaded } from "../config/mod.ts";
import { ForbiddenError, UsageError } from "../domain/mod.ts";

// The loader (and its parsers and schemas) loads when a stack is applied, not with the engine.
const loadStack: typeof import("../config/mod.ts").loadStack = async (...args) =>
  (await import("../config/mod.ts")).loadStack(...args);

/** Where an apply may read. */
export interface ApplyScope {
  /** The project directory (absolute). */
  readonly project: string;
  /** The files the run was started with (or last applied): trusted, as orch's user chose them. */
  readonly runFiles: readonly string[];
  readonly env: (name: string) => string | undefined;
  /** Compose profiles and Procfile counts `up` was given. */
  readonly loadOptions?: {
    readonly profiles?: readonly string[];
    readonly formation?: Readonly<Record<string, number>>;
  };
}

const STACK_FILE = /\.(ya?ml|toml)$/i;

/** `path` with `.` and `..` resolved, without touching the disk. */
export function normalize(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return `/${out.join("/")}`;
}

function inside(root: string, path: string): boolean {
  const base = root.endsWith("/") ? root : `${root}/`;
  return path.startsWith(base);
}

/** The real path of `path`, or undefined when it does not exist. */
async function real(path: string): Promise<string | undefined> {
  try {
    return await Deno.realPath(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Checks that `given` (absolute, or relative to the project) names a file inside the project,
 * symlinks resolved; returns its absolute path.
 *
 * @throws {ForbiddenError} when it lies outside, or is not a stack file.
 */
export async function confine(scope: ApplyScope, given: string, field: string): Promise<string> {
  const project = normalize(scope.project);
  const path = normalize(given.startsWith("/") ? given : `${project}/${given}`);
  const refuse = (why: string) =>
    new ForbiddenError(
      `${field}: "${given.slice(0, 200)}" ${why}; send the stack's content instead`,
    );
  if (!inside(project, path)) throw refuse(`is outside the project directory ${project}`);
  if (!STACK_FILE.test(path)) throw refuse("is not a stack file (.yaml, .yml or .toml)");
  // The file itself, or (when it does not exist) the nearest directory above it that does.
  const root = await real(project) ?? project;
  let probe = path;
  let resolved = await real(probe);
  while (resolved === undefined && probe.length > project.length) {
    probe = probe.slice(0, probe.lastIndexOf("/"));
    resolved = await real(probe);
  }
  if (resolved !== undefined && resolved !== root && !inside(root, resolved)) {
    throw refuse(`leads outside the project directory ${project} (through a symlink)`);
  }
  return path;
}

/** A reader for the loader that reads only inside the project (and `documents` from memory). */
function confinedReader(
  scope: ApplyScope,
  documents: ReadonlyMap<string, string>,
): (path: string) => Promise<string> {
  return async (path: string) => {
    const given = documents.get(path);
    if (given !== undefined) return given;
    const project = normalize(scope.project);
    const root = await real(project) ?? project;
    const resolved = await real(normalize(path));
    if (resolved === undefined) throw new Deno.errors.NotFound(`${path}: file not found`);
    if (!inside(root, resolved)) {
      throw new Deno.errors.PermissionDenied("outside the project directory");
    }
    return await Deno.readTextFile(resolved);
  };
}

/** Loads the stack `source` asks for, within `scope`. */
export async function loadSource(scope: ApplyScope, source: StackSource): Promise<Loaded> {
  const options = { cwd: scope.project, env: scope.env, ...scope.loadOptions };
  if ("documents" in source) {
    const documents = new Map<string, string>();
    for (const doc of source.documents) {
      const path = normalize(`${scope.project}/${doc.name}`);
      if (!inside(normalize(scope.project), path)) {
        throw new UsageError(`documents: "${doc.name}" is not a path inside the project`);
      }
      documents.set(path, doc.content);
    }
    return await loadStack([...documents.keys()], {
      ...options,
      readTextFile: confinedReader(scope, documents),
    });
  }
  if ("files" in source) {
    const paths: string[] = [];
    for (const [i, file] of source.files.entries()) {
      paths.push(await confine(scope, file, `files[${i}]`));
    }
    return await loadStack(paths, { ...options, readTextFile: confinedReader(scope, new Map()) });
  }
  return await loadStack(scope.runFiles, options);
}
