/**
 * One Compose file parsed, interpolated and validated; and Compose's merge rules, used for override
 * files and `extends`: mappings merge, `command` and `entrypoint` are replaced, lists such as
 * `ports` are appended, `volumes` merge by target.
 *
 * @module
 */
import type { ConfigIssue } from "../../domain/mod.ts";
import { pushAll, toConfigIssues } from "../issues.ts";
import { type Locator, type ParseOutcome, parseYaml } from "../source.ts";
import { interpolateComposeTree } from "./compose_interpolate.ts";
import { type ComposeFile, composeFileSchema, type ComposeService } from "./compose_schema.ts";
import { issueAt, resolveFrom, resolveMergeKeys } from "./foreign.ts";

/** One parsed Compose file. */
export interface Parsed {
  readonly file: string;
  readonly locate: Locator;
  readonly data: ComposeFile;
}

/** Issues and warnings found while loading. */
export class Collector {
  readonly issues: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];
}

export function isTable(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Drops `x-` keys where Compose allows them (top level, services, networks, volumes). */
export function stripExtensions(data: Record<string, unknown>): Record<string, unknown> {
  const strip = (o: unknown) =>
    isTable(o) ? Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith("x-"))) : o;
  const top = strip(data) as Record<string, unknown>;
  for (const section of ["services", "networks", "volumes"]) {
    const items = top[section];
    if (!isTable(items)) continue;
    top[section] = Object.fromEntries(
      Object.entries(items).map(([k, v]) => {
        const item = strip(v);
        if (section === "services" && isTable(item)) {
          for (const nested of ["deploy", "healthcheck", "build", "logging"]) {
            if (isTable(item[nested])) item[nested] = strip(item[nested]);
          }
        }
        return [k, item];
      }),
    );
  }
  return top;
}

/** Parses, interpolates and validates one Compose file. */
export function parseComposeFile(
  file: string,
  text: string,
  lookup: (name: string) => string | undefined,
  out: Collector,
  parse: (file: string, text: string) => ParseOutcome = parseYaml,
): Parsed | undefined {
  const parsed = parse(file, text);
  if (!parsed.ok) {
    pushAll(out.issues, parsed.issues);
    return undefined;
  }
  const { locate } = parsed.source;
  if (!isTable(parsed.source.data)) {
    out.issues.push(issueAt(file, locate, [], "expected a table of settings at the top level"));
    return undefined;
  }
  const raw = stripExtensions(resolveMergeKeys(parsed.source.data) as Record<string, unknown>);
  const interpolated = interpolateComposeTree(raw, lookup);
  for (const issue of interpolated.issues) {
    (issue.warning ? out.warnings : out.issues).push(
      issueAt(file, locate, issue.path, issue.message),
    );
  }
  for (const key of ["secrets", "configs"]) {
    if (key in raw) {
      out.warnings.push(
        issueAt(
          file,
          locate,
          [key],
          `${key} are not supported: nothing is mounted (use volumes or env_file)`,
        ),
      );
    }
  }
  const result = composeFileSchema.safeParse(interpolated.data);
  if (!result.success) {
    pushAll(
      out.issues,
      toConfigIssues(result.error.issues, interpolated.data, composeFileSchema, {
        file,
        locate,
      }),
    );
    return undefined;
  }
  return { file, locate, data: result.data };
}

const REPLACED = new Set(["command", "entrypoint"]);
const APPENDED = new Set([
  "ports",
  "expose",
  "dns",
  "dns_search",
  "env_file",
  "cap_add",
  "cap_drop",
  "devices",
  "tmpfs",
  "profiles",
  "external_links",
  "links",
]);
const LISTED_MAPS = new Set([
  "environment",
  "labels",
  "depends_on",
  "networks",
  "extra_hosts",
  "sysctls",
]);

function asMap(key: string, value: unknown): Record<string, unknown> {
  if (!Array.isArray(value)) return isTable(value) ? value : {};
  const out: Record<string, unknown> = Object.create(null);
  for (const item of value.map(String)) {
    if (key === "depends_on") out[item] = { condition: "service_started" };
    else if (key === "networks") out[item] = null;
    else {
      const eq = item.indexOf("=");
      out[eq < 0 ? item : item.slice(0, eq)] = eq < 0 ? null : item.slice(eq + 1);
    }
  }
  return out;
}

function mergeMaps(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = Object.assign(Object.create(null), a);
  for (const [k, v] of Object.entries(b)) {
    out[k] = isTable(out[k]) && isTable(v) ? mergeMaps(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

function volumeTarget(v: unknown): string {
  if (isTable(v)) return String(v.target);
  const parts = String(v).split(":");
  return parts.length === 1 ? parts[0] : parts[1];
}

/** Merges a Compose service over another, as Compose merges files and `extends`. */
export function mergeComposeService(base: ComposeService, over: ComposeService): ComposeService {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    if (value === undefined) continue;
    if (prev === undefined || REPLACED.has(key)) out[key] = value;
    else if (LISTED_MAPS.has(key)) out[key] = mergeMaps(asMap(key, prev), asMap(key, value));
    else if (APPENDED.has(key)) {
      const list = [
        ...(Array.isArray(prev) ? prev : [prev]),
        ...(Array.isArray(value) ? value : [value]),
      ];
      out[key] = list.filter((item, i) =>
        list.findIndex((x) => JSON.stringify(x) === JSON.stringify(item)) === i
      );
    } else if (key === "volumes" && Array.isArray(prev) && Array.isArray(value)) {
      const targets = new Set(value.map(volumeTarget));
      out[key] = [...prev.filter((v) => !targets.has(volumeTarget(v))), ...value];
    } else if (isTable(prev) && isTable(value)) out[key] = mergeMaps(prev, value);
    else out[key] = value;
  }
  return out as ComposeService;
}

/** Makes the host paths of a service absolute (before it is merged into one from another directory). */
export function absolutePaths(svc: ComposeService, dir: string): ComposeService {
  const out: Record<string, unknown> = { ...svc };
  if (svc.env_file !== undefined) {
    const list = typeof svc.env_file === "string" ? [svc.env_file] : svc.env_file;
    out.env_file = list.map((e) =>
      typeof e === "string" ? resolveFrom(dir, e) : { ...e, path: resolveFrom(dir, e.path) }
    );
  }
  if (svc.volumes) {
    out.volumes = svc.volumes.map((v) => {
      if (typeof v === "string") {
        const [source, ...rest] = v.split(":");
        return rest.length > 0 && source.startsWith(".")
          ? [resolveFrom(dir, source), ...rest].join(":")
          : v;
      }
      return v.type === "bind" && v.source && v.source.startsWith(".")
        ? { ...v, source: resolveFrom(dir, v.source) }
        : v;
    });
  }
  return out as ComposeService;
}
