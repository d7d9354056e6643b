/**
 * process-compose files: `processes` with command (run by the file's shell, bash by default),
 * working_dir, environment, availability, depends_on conditions, readiness and liveness probes,
 * ready_log_line, shutdown, replicas (`PC_REPLICA_NUM`), disabled, is_daemon, namespace, is_tty.
 * `$VAR` and `${VAR}` come from the environment and the `.env` beside the file.
 *
 * @module
 */
import type { ConfigIssue } from "../../domain/mod.ts";
import { parseDotenv } from "../dotenv.ts";
import { pushAll, toConfigIssues } from "../issues.ts";
import { interpolateComposeTree } from "./compose_interpolate.ts";
import {
  dirOf,
  type ForeignLoad,
  type ForeignOptions,
  issueAt,
  PathMap,
  resolveMergeKeys,
  yamlOf,
} from "./foreign.ts";
import { NAME_MARK, REPLICA_MARK, translateProcesses } from "./process_compose_translate.ts";
import { processComposeSchema } from "./process_compose_schema.ts";

/** Loads a process-compose file. */
export async function loadProcessCompose(
  file: string,
  text: string,
  options: ForeignOptions,
): Promise<ForeignLoad> {
  const issues: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const failed = (): ForeignLoad => ({
    format: "process-compose",
    results: [],
    issues,
    warnings,
    consumed: 1,
  });
  const parsed = yamlOf(options)(file, text);
  if (!parsed.ok) {
    pushAll(issues, parsed.issues);
    return failed();
  }
  const { locate } = parsed.source;
  const dir = dirOf(file);
  let dotenv: Record<string, string> | undefined;
  try {
    const env = parseDotenv(await options.read(`${dir}/.env`));
    dotenv = env.vars;
    for (const issue of env.issues) {
      issues.push({
        file: `${dir}/.env`,
        line: issue.line,
        column: 1,
        path: "",
        message: issue.message,
      });
    }
  } catch {
    // no .env
  }
  const lookup = (name: string) =>
    name === "PC_REPLICA_NUM"
      ? REPLICA_MARK
      : name === "PC_PROC_NAME"
      ? NAME_MARK
      : options.env(name) ?? dotenv?.[name];
  const raw = resolveMergeKeys(parsed.source.data);
  const disabled = raw !== null && typeof raw === "object" &&
    (raw as Record<string, unknown>).disable_env_expansion === true;
  const interpolated = disabled ? { data: raw, issues: [] } : interpolateComposeTree(raw, lookup);
  for (const issue of interpolated.issues) {
    (issue.warning ? warnings : issues).push(issueAt(file, locate, issue.path, issue.message));
  }
  const result = processComposeSchema.safeParse(interpolated.data);
  if (!result.success) {
    pushAll(
      issues,
      toConfigIssues(result.error.issues, interpolated.data, processComposeSchema, {
        file,
        locate,
      }),
    );
    return failed();
  }
  const map = new PathMap();
  const stackFile = translateProcesses(result.data, {
    hasDotenv: dotenv !== undefined,
    map,
    warn: (path, message) => warnings.push(issueAt(file, locate, path, message)),
    error: (path, message) => issues.push(issueAt(file, locate, path, message)),
  });
  if (issues.length > 0) return failed();
  return {
    format: "process-compose",
    results: [{ file, stackFile, locate, translate: (path) => map.translate(path) }],
    issues,
    warnings,
    consumed: 1,
  };
}
