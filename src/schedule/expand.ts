/**
 * What a task attempt runs: `${config.KEY}`, `${payload.KEY}` (a dotted path into the JSON
 * payload) and `${tasks.TASK.KEY}` (an upstream task's output) expanded in its command and env,
 * and the outputs file a task writes (`key=value` lines) read back.
 *
 * In a shell command a reference becomes a reference to an environment variable holding the
 * value (`${ORCH_REF_1}`), so that a payload cannot inject shell code; in an argument list and in
 * env values it is replaced by the value itself.
 *
 * @module
 */
import type { Command } from "../domain/mod.ts";

/** Values references expand to. */
export interface ExpandContext {
  readonly config: Readonly<Record<string, string>>;
  readonly payload: unknown;
  /** Outputs of the run's settled tasks, by task. */
  readonly outputs: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

/** `${config.x}`, `${payload.a.b}`, `${tasks.First task.rows}`. */
export const REFERENCE = /\$\{(config|payload|tasks)\.([^}]*)\}/g;

/** The references in a text: namespace and path. */
export function referencesIn(text: string): { kind: string; path: string }[] {
  return [...text.matchAll(REFERENCE)].map((m) => ({ kind: m[1], path: m[2] }));
}

function valueOf(kind: string, path: string, ctx: ExpandContext): string {
  const own = (table: Readonly<Record<string, string>> | undefined, key: string) =>
    table && Object.hasOwn(table, key) ? table[key] : "";
  if (kind === "config") return own(ctx.config, path);
  if (kind === "tasks") {
    const dot = path.lastIndexOf(".");
    return dot < 0 ? "" : own(ctx.outputs.get(path.slice(0, dot)), path.slice(dot + 1));
  }
  let value: unknown = ctx.payload;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, part)) return "";
    value = (value as Record<string, unknown>)[part];
  }
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Expands every reference in `text` to its value. */
export function expandText(text: string, ctx: ExpandContext): string {
  if (!text.includes("${")) return text;
  return text.replace(REFERENCE, (_, kind, path) => valueOf(kind, path, ctx));
}

/**
 * Expands a command: argv words get the values; a shell script gets `${ORCH_REF_N}` variables,
 * whose values are returned to put in the environment.
 */
export function expandCommand(
  command: Command,
  ctx: ExpandContext,
): { command: Command; env: Record<string, string> } {
  if ("exec" in command) {
    return { command: { exec: command.exec.map((w) => expandText(w, ctx)) }, env: {} };
  }
  const env: Record<string, string> = {};
  let n = 0;
  const shell = command.shell.replace(REFERENCE, (_, kind, path) => {
    const name = `ORCH_REF_${++n}`;
    env[name] = valueOf(kind, path, ctx);
    return `\${${name}}`;
  });
  return { command: { shell }, env };
}

/** Bounds on what an outputs file may hand on. */
export const OUTPUT_LIMITS = { keys: 1000, valueBytes: 65_536 } as const;

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Reads `key=value` lines (blank lines and `#` comments skipped; a later key wins). */
export function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  let count = 0;
  for (const raw of text.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    if (!KEY.test(key)) continue;
    if (!Object.hasOwn(out, key)) {
      if (count >= OUTPUT_LIMITS.keys) continue;
      count++;
    }
    out[key] = line.slice(eq + 1).slice(0, OUTPUT_LIMITS.valueBytes);
  }
  return { ...out };
}
