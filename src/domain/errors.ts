/**
 * The few error classes callers catch. User errors carry their exit code; `src/cli` maps them to exit
 * statuses and `src/api` to HTTP statuses, each in one place.
 *
 * @module
 */
import { clip } from "./quote.ts";

/** Where in which file a problem is. Lines and columns count from 1. */
export interface SourcePosition {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

/** One problem found in a config file. */
export interface ConfigIssue extends SourcePosition {
  /** The field path, e.g. `services.api.dependsOn[0].target`; empty for the whole file. */
  readonly path: string;
  readonly message: string;
  /** A did-you-mean or how to fix it. */
  readonly hint?: string;
}

/**
 * Formats an issue as `file:line:col: path: message (hint)`. Each part is cut to a bounded length, a
 * backstop behind the quoting of values where messages are made.
 */
export function formatIssue(issue: ConfigIssue): string {
  const where = [issue.file, issue.line, issue.line ? issue.column : undefined]
    .filter((part) => part !== undefined && part !== "")
    .join(":");
  const field = issue.path ? `${clip(issue.path, 200)}: ` : "";
  const hint = issue.hint ? ` (${clip(issue.hint, 300)})` : "";
  return `${clip(where, 300)}: ${field}${clip(issue.message, 500)}${hint}`;
}

/** Base of every error that is the user's to fix; `exitCode` is what the CLI exits with. */
export class OrchError extends Error {
  readonly exitCode: number;
  constructor(message: string, options?: { exitCode?: number; cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.name = "OrchError";
    this.exitCode = options?.exitCode ?? 1;
  }
}

/** How many issues a {@link ConfigError}'s message lists; `issues` holds them all. */
const MAX_LISTED = 200;

/** A config that cannot be loaded: every problem at once. Exit status 2. */
export class ConfigError extends OrchError {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[], title = "invalid configuration") {
    const count = issues.length === 1 ? "1 error" : `${issues.length} errors`;
    const shown = issues.slice(0, MAX_LISTED).map((i) => `  ${formatIssue(i)}`);
    if (issues.length > MAX_LISTED) shown.push(`  … and ${issues.length - MAX_LISTED} more`);
    super(`${title} (${count}):\n${shown.join("\n")}`, { exitCode: 2 });
    this.name = "ConfigError";
    this.issues = issues;
  }
}

/** Bad command-line usage. Exit status 2. */
export class UsageError extends OrchError {
  constructor(message: string) {
    super(message, { exitCode: 2 });
    this.name = "UsageError";
  }
}

/** A named thing (service, run, file) that does not exist. HTTP 404. */
export class NotFoundError extends OrchError {
  constructor(message: string) {
    super(message, { exitCode: 1 });
    this.name = "NotFoundError";
  }
}

/** An operation that the caller may not do (a file outside the project). HTTP 403. */
export class ForbiddenError extends OrchError {
  constructor(message: string) {
    super(message, { exitCode: 1 });
    this.name = "ForbiddenError";
  }
}

/** An operation that conflicts with the current state. HTTP 409. */
export class ConflictError extends OrchError {
  constructor(message: string) {
    super(message, { exitCode: 1 });
    this.name = "ConflictError";
  }
}

// ---- the messages several places give, each worded once ----------------------------------------

/** `no service named "api"` (with a did-you-mean when there is one). HTTP 404. */
export function noSuchService(name: string, hint?: string): NotFoundError {
  return new NotFoundError(`no service named "${name}"${hint ? ` (${hint})` : ""}`);
}

/** A flow that does not exist. HTTP 404. */
export function noSuchFlow(name: string): NotFoundError {
  return new NotFoundError(`no flow named ${JSON.stringify(name)}`);
}

/** A run that does not exist. HTTP 404. */
export function noSuchRun(id: number): NotFoundError {
  return new NotFoundError(`no run ${id}`);
}

/** A command while the stack stops: nothing new starts. HTTP 409. */
export function shuttingDown(): ConflictError {
  return new ConflictError("the stack is shutting down");
}

/** A service with no live instance to talk to. HTTP 409. */
export function notRunning(name: string): ConflictError {
  return new ConflictError(`"${name}" is not running`);
}

/** An instance whose runtime orch has not got (no Docker engine was set up). */
export function runtimeUnavailable(runtime: string): OrchError {
  return new OrchError(`the ${runtime} runtime is not available`);
}

/** An instance that gives its runtime nothing to run: `no command to run`. */
export function nothingToRun(what: "command" | "image"): OrchError {
  return new OrchError(
    what === "command" ? "no command to run" : "no image to run (runtime: docker needs image)",
  );
}

/**
 * An `envFromFile` that cannot be read when an instance starts: the start fails, naming the file
 * and why (`cannot read envFromFile /srv/app/.env: it does not exist`).
 */
export function envFileUnreadable(path: string, why: string, cause?: unknown): OrchError {
  return new OrchError(`cannot read envFromFile ${path}: ${why}`, { cause });
}
