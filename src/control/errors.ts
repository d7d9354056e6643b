/**
 * Errors across the control API, both ways: the kinds an error body names with their HTTP
 * statuses (the one table the handler answers from), and the way back from a response to the
 * OrchError the serving orch raised, so that a command fails over HTTP as it would in-process.
 *
 * @module
 */
import {
  ConfigError,
  type ConfigIssue,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  OrchError,
  UsageError,
} from "../domain/mod.ts";

/**
 * The kinds of error the API answers with, and their statuses: the handler's (by error class,
 * `api/respond.ts`) and the server's own (a request head too slow, 408; too many connections,
 * 503).
 */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  timeout: 408,
  conflict: 409,
  too_large: 413,
  invalid_config: 422,
  internal: 500,
  busy: 503,
} as const;

/** An error body's kind: `{ error: { kind, message, issues? } }`. */
export type ErrorKind = keyof typeof ERROR_STATUS;

/** What an error response carries. */
export interface ErrorBody {
  readonly error?: {
    readonly kind?: string;
    readonly message?: string;
    readonly issues?: readonly ConfigIssue[];
  };
}

/**
 * The OrchError for an API error response: 400 a UsageError, 403 a ForbiddenError, 404 a
 * NotFoundError, 409 a ConflictError, 422 a ConfigError with its issues; 401 says how to give a
 * token; anything else names the status.
 */
export function errorFromResponse(status: number, body: ErrorBody): OrchError {
  const message = body.error?.message ?? `HTTP ${status}`;
  switch (status) {
    case ERROR_STATUS.bad_request:
      return new UsageError(message);
    case ERROR_STATUS.unauthorized:
      return new OrchError(`${message} (set ORCH_TOKEN or --token)`, { exitCode: 1 });
    case ERROR_STATUS.forbidden:
      return new ForbiddenError(message);
    case ERROR_STATUS.not_found:
      return new NotFoundError(message);
    case ERROR_STATUS.conflict:
      return new ConflictError(message);
    case ERROR_STATUS.invalid_config:
      return body.error?.issues
        ? new ConfigError(body.error.issues)
        : new OrchError(message, { exitCode: 2 });
    default:
      return new OrchError(`orch answered ${status}: ${message}`);
  }
}
