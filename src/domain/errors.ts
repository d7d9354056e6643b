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
