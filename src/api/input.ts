/**
 * What a request may carry, checked: JSON bodies read under a size limit, every field's type, the
 * known fields only, path segments and query parameters. Each problem is a 400 (413 for a body too
 * large) in orch's own words, naming the field and what was expected.
 *
 * @module
 */
import {
  type Level,
  LEVELS,
  type LogQuery,
  OrchError,
  parseDuration,
  UsageError,
} from "../domain/mod.ts";
import { sinceOf, type StackDocument, type StackSource } from "../control/mod.ts";

/** The largest request body of `/v1/apply` (stack content), and of every other route. */
export const BODY_LIMITS = { apply: 16 << 20, json: 1 << 20 } as const;

/** The most records `tail` may ask for. */
export const MAX_TAIL = 100_000;

/** A request body over its route's limit. HTTP 413. */
export class BodyTooLargeError extends OrchError {
  constructor(limit: number) {
    super(`the request body is larger than ${limit} bytes, the limit of this route`);
    this.name = "BodyTooLargeError";
  }
}

/** What a value is, for messages: `a number`, `a list`, `null`. */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** Reads the body as text, at most `limit` bytes (more is refused without reading it all). */
export async function readText(request: Request, limit: number): Promise<string> {
  if (!request.body) return "";
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > limit) {
    await request.body.cancel().catch(() => {});
    throw new BodyTooLargeError(limit);
  }
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > limit) throw new BodyTooLargeError(limit);
      parts.push(value);
    }
  } catch (error) {
    if (error instanceof OrchError) throw error;
    throw new UsageError("the request body could not be read");
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError("the request body is not UTF-8");
  }
}

/**
 * The body as a JSON object with only the `allowed` fields (an empty body is `{}`).
 *
 * @throws {UsageError} for anything else, naming the unknown field.
 */
export async function readJson(
  request: Request,
  limit: number,
  allowed: readonly string[],
): Promise<Record<string, unknown>> {
  const text = await readText(request, limit);
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError("the request body is not JSON");
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new UsageError(`the request body must be a JSON object, not ${kindOf(value)}`);
  }
  checkFields(value as Record<string, unknown>, allowed, "");
  return value as Record<string, unknown>;
}

function checkFields(body: Record<string, unknown>, allowed: readonly string[], where: string) {
  const unknown = Object.keys(body).find((k) => !allowed.includes(k));
  if (unknown !== undefined) {
    throw new UsageError(
      `${where}${JSON.stringify(unknown).slice(0, 80)}: unknown field ` +
        `(${allowed.length ? `expected ${allowed.join(", ")}` : "this route takes no fields"})`,
    );
  }
}

/** A string field. */
export function text(value: unknown, field: string): string {
  if (typeof value !== "string") {
    throw new UsageError(`${field}: a string is expected, not ${kindOf(value)}`);
  }
  return value;
}

/** A boolean field, false when absent. */
export function flag(value: unknown, field: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") {
    throw new UsageError(`${field}: true or false is expected, not ${kindOf(value)}`);
  }
  return value;
}

/** A whole-number field. */
export function whole(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new UsageError(
      `${field}: a whole number is expected, not ${
        typeof value === "number" ? value : kindOf(value)
      }`,
    );
  }
  return value;
}

/** A duration field (`"30s"` or seconds), undefined when absent. */
export function duration(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" && typeof value !== "number") {
    throw new UsageError(`${field}: a duration such as "30s" is expected, not ${kindOf(value)}`);
  }
  const ms = parseDuration(value);
  if (ms === undefined) throw new UsageError(`${field}: "${value}" is not a duration`);
  return ms;
}

const DOCUMENT_NAME = /^(?:[A-Za-z0-9_][A-Za-z0-9._-]*\/)*[A-Za-z0-9_][A-Za-z0-9._-]*$/;

function stackDocument(value: unknown, field: string): StackDocument {
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new UsageError(`${field}: an object with "content" is expected, not ${kindOf(value)}`);
  }
  const doc = value as Record<string, unknown>;
  checkFields(doc, ["content", "format", "name"], `${field}.`);
  const content = text(doc.content, `${field}.content`);
  const format = doc.format === undefined ? undefined : text(doc.format, `${field}.format`);
  if (format !== undefined && format !== "yaml" && format !== "toml") {
    throw new UsageError(`${field}.format: "${format.slice(0, 20)}" is not yaml or toml`);
  }
  const name = doc.name === undefined
    ? `stack.${format ?? "yaml"}`
    : text(doc.name, `${field}.name`);
  if (!DOCUMENT_NAME.test(name) || name.length > 255) {
    throw new UsageError(
      `${field}.name: "${name.slice(0, 80)}" is not a relative path inside the project ` +
        `(letters, digits, . _ - and /, no ..)`,
    );
  }
  const ext = /\.toml$/i.test(name) ? "toml" : "yaml";
  if (format !== undefined && format !== ext) {
    throw new UsageError(`${field}: format ${format} does not match the name ${name}`);
  }
  return { name, content };
}

/** The fields of an apply request. */
export const APPLY_FIELDS = ["files", "documents", "content", "format", "name", "dryRun"] as const;

/** What an apply request asks for: documents, files of the project, or the run's own files. */
export function applySource(body: Record<string, unknown>): StackSource {
  const given = ["files", "documents", "content"].filter((k) => body[k] !== undefined);
  if (given.length > 1) {
    throw new UsageError(`give one of files, documents or content, not ${given.join(" and ")}`);
  }
  if (body.content === undefined && (body.format !== undefined || body.name !== undefined)) {
    throw new UsageError("format and name go with content");
  }
  if (body.content !== undefined) {
    return {
      documents: [
        stackDocument({ content: body.content, format: body.format, name: body.name }, "content"),
      ],
    };
  }
  if (body.documents !== undefined) {
    if (!Array.isArray(body.documents) || body.documents.length === 0) {
      throw new UsageError("documents: a non-empty list of {content, format?, name?} is expected");
    }
    const documents = body.documents.map((d, i) => stackDocument(d, `documents[${i}]`));
    const names = new Set<string>();
    for (const d of documents) {
      if (names.has(d.name)) throw new UsageError(`documents: "${d.name}" is given twice`);
      names.add(d.name);
    }
    return { documents };
  }
  if (body.files !== undefined) {
    if (!Array.isArray(body.files) || body.files.length === 0) {
      throw new UsageError("files: a non-empty list of paths inside the project is expected");
    }
    return { files: body.files.map((f, i) => text(f, `files[${i}]`)) };
  }
  return {};
}

/** The query of `GET /v1/logs`. */
export function logQuery(url: URL, now: number): { query: LogQuery; tail?: number } {
  const params = url.searchParams;
  const services = params.getAll("service").flatMap((s) => s.split(",")).filter(Boolean);
  const level = params.get("level");
  if (level && !(LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`level: "${level.slice(0, 20)}" is not one of ${LEVELS.join(", ")}`);
  }
  const since = params.get("since");
  const tailText = params.get("tail");
  const tail = tailText === null ? undefined : Number(tailText);
  if (tail !== undefined && (!/^\d+$/.test(tailText!) || tail > MAX_TAIL)) {
    throw new UsageError(
      `tail: "${tailText!.slice(0, 20)}" is not a whole number up to ${MAX_TAIL}`,
    );
  }
  return {
    query: {
      ...(services.length ? { services } : {}),
      ...(level ? { minLevel: level as Level } : {}),
      ...(since ? { since: sinceOf(since, now) } : {}),
    },
    tail,
  };
}

/** A yes/no query parameter: absent is `fallback`. */
export function yes(url: URL, name: string, fallback: boolean): boolean {
  const value = url.searchParams.get(name);
  if (value === null) return fallback;
  if (["1", "true", "yes"].includes(value)) return true;
  if (["0", "false", "no"].includes(value)) return false;
  throw new UsageError(`${name}: "${value.slice(0, 20)}" is not true or false`);
}
