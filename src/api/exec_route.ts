/**
 * `POST /v1/exec`: one command run as a run of the ad-hoc flow `@exec` (`orch exec`, Conducktor's
 * `run`), its run, output and end streamed back as NDJSON (one {@link ExecEvent} a line). A
 * mutation: a read-only token is refused. Closing the response does not stop the command;
 * `POST /v1/runs/{id}/cancel` does.
 *
 * @module
 */
import type { ExecEvent, ExecInput } from "../control/mod.ts";
import { UsageError } from "../domain/mod.ts";
import { BODY_LIMITS, duration, readJson, text, whole } from "./input.ts";
import { rendered, streamedBytes } from "./respond.ts";
import type { Route } from "./router.ts";
import type { Handler } from "./route_context.ts";

/** Bounds on what an exec request may ask. */
export const EXEC_LIMITS = { words: 4096, envKeys: 1024 } as const;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function kind(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "a list" : typeof value;
}

/** A JSON object's entries, or a UsageError naming the field. */
function entries(value: unknown, field: string): [string, unknown][] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new UsageError(`${field}: an object is expected, not ${kind(value)}`);
  }
  return Object.entries(value);
}

/** The body of `POST /v1/exec`, checked. */
export function execInput(body: Record<string, unknown>): ExecInput {
  const raw = body.command;
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new UsageError(`command: a non-empty list of strings is expected, not ${kind(raw)}`);
  }
  if (raw.length > EXEC_LIMITS.words) {
    throw new UsageError(`command: ${raw.length} words, more than ${EXEC_LIMITS.words}`);
  }
  const command = raw.map((w, i) => {
    const word = text(w, `command[${i}]`);
    if (word.includes("\0")) throw new UsageError(`command[${i}]: contains a NUL byte`);
    return word;
  });
  if (command[0] === "") throw new UsageError("command[0]: the program is empty");
  let env: Record<string, string> | undefined;
  if (body.env !== undefined) {
    const list = entries(body.env, "env");
    if (list.length > EXEC_LIMITS.envKeys) {
      throw new UsageError(`env: ${list.length} variables, more than ${EXEC_LIMITS.envKeys}`);
    }
    env = Object.create(null) as Record<string, string>;
    for (const [k, v] of list) {
      if (!ENV_NAME.test(k)) {
        throw new UsageError(`env: ${JSON.stringify(k.slice(0, 40))} is not a variable name`);
      }
      const value = text(v, `env.${k}`);
      if (value.includes("\0")) throw new UsageError(`env.${k}: contains a NUL byte`);
      env[k] = value;
    }
  }
  let slots: Record<string, number> | undefined;
  if (body.slots !== undefined) {
    slots = Object.create(null) as Record<string, number>;
    for (const [k, v] of entries(body.slots, "slots")) slots[k] = whole(v, `slots.${k}`);
  }
  const timeoutMs = duration(body.timeout, "timeout");
  if (timeoutMs !== undefined && timeoutMs <= 0) {
    throw new UsageError("timeout: must be greater than 0");
  }
  const cwd = body.cwd === undefined ? undefined : text(body.cwd, "cwd");
  return {
    command,
    ...(env ? { env: { ...env } } : {}),
    ...(cwd !== undefined ? { cwd } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(slots ? { slots: { ...slots } } : {}),
  };
}

/** The exec route. */
export const EXEC_ROUTE: Route<Handler> = {
  method: "POST",
  path: "/v1/exec",
  handle: async (ctx) => {
    const body = await readJson(ctx.request, BODY_LIMITS.json, [
      "command",
      "env",
      "cwd",
      "timeout",
      "slots",
    ]);
    const events = await ctx.control.flows.exec(execInput(body));
    const lines = rendered(events.batches(), (e: ExecEvent) => JSON.stringify(e) + "\n");
    return streamedBytes(lines, () => events.close(), { contentType: "application/x-ndjson" });
  },
};
