/**
 * The foreign formats' entry point for the loader: which of the loader's files are Compose,
 * process-compose or Procfile files (by name, then by content), and their translation.
 *
 * @module
 */
import { type ParseOutcome, parseYaml } from "../source.ts";
import { type ForeignLoad, type ForeignOptions, yamlOf } from "./foreign.ts";

/** Default file names of the foreign formats, looked for after orch's own. */
export const FOREIGN_DEFAULT_FILES = [
  "compose.yaml",
  "compose.yml",
  "docker-compose.yaml",
  "docker-compose.yml",
  "process-compose.yaml",
  "process-compose.yml",
  "Procfile",
] as const;

/** The override file `docker compose` loads beside each default file. */
export const COMPOSE_OVERRIDES: Readonly<Record<string, string>> = {
  "compose.yaml": "compose.override.yaml",
  "compose.yml": "compose.override.yml",
  "docker-compose.yaml": "docker-compose.override.yaml",
  "docker-compose.yml": "docker-compose.override.yml",
};

/** A foreign format's name. */
export type ForeignKind = ForeignLoad["format"];

const COMPOSE_ONLY_KEYS = new Set([
  "build",
  "environment",
  "env_file",
  "depends_on",
  "healthcheck",
  "restart",
  "deploy",
  "profiles",
  "working_dir",
  "stop_signal",
  "stop_grace_period",
  "container_name",
  "expose",
  "extends",
  "network_mode",
  "hostname",
  "links",
]);
const ORCH_ONLY_KEYS = new Set([
  "kind",
  "runtime",
  "env",
  "envFromFile",
  "dependsOn",
  "health",
  "restartPolicy",
  "workdir",
  "replicas",
  "stop",
  "update",
  "enabled",
  "required",
  "waitAfter",
  "preScript",
  "postScript",
  "logFile",
]);

function isTable(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Decides whether a file is one of the foreign formats: by its name, else by its content (parsed
 * with `parse`, the load's shared parses).
 */
export function foreignKind(
  file: string,
  text: string,
  parse: (file: string, text: string) => ParseOutcome = parseYaml,
): ForeignKind | undefined {
  const base = file.slice(file.lastIndexOf("/") + 1);
  if (/^Procfile(\..+)?$/.test(base) || /\.procfile$/i.test(base)) return "procfile";
  if (/^process-compose.*\.ya?ml$/i.test(base)) return "process-compose";
  if (/^(docker-)?compose.*\.ya?ml$/i.test(base)) return "compose";
  if (/\.toml$/i.test(base)) return undefined;
  // A file named .yaml is never taken for a Procfile, whatever its lines look like.
  const yamlName = /\.ya?ml$/i.test(base);
  // Only a file with `services:` or `processes:` at the top can be one of these.
  if (yamlName && !/^(services|processes)\s*:/m.test(text)) return undefined;
  const parsed = parse(file, text);
  if (!parsed.ok) return !yamlName && looksLikeProcfile(text) ? "procfile" : undefined;
  const data = parsed.source.data;
  if (!isTable(data)) return !yamlName && looksLikeProcfile(text) ? "procfile" : undefined;
  if (isTable(data.processes)) return "process-compose";
  if (isTable(data.services) && String(data.version ?? "") !== "0.1") {
    if ("stack" in data || "defaults" in data) return undefined;
    const keys = Object.values(data.services).flatMap((s) => (isTable(s) ? Object.keys(s) : []));
    if (keys.some((k) => ORCH_ONLY_KEYS.has(k))) return undefined;
    const composeTop = ["include", "name", "volumes", "secrets", "configs"].some((k) => k in data);
    if (
      composeTop || /^[123](\.\d+)*$/.test(String(data.version ?? "")) ||
      keys.some((k) => COMPOSE_ONLY_KEYS.has(k))
    ) {
      return "compose";
    }
    return undefined;
  }
  if (!yamlName && looksLikeProcfile(text)) return "procfile";
  return undefined;
}

function looksLikeProcfile(text: string): boolean {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));
  return lines.length > 0 && lines.every((l) => /^[A-Za-z0-9_-]+:\s*\S/.test(l));
}

/**
 * Loads `paths[index]` when it is a foreign file (with the Compose files right after it, which
 * merge as Compose merges them); undefined when it is one of orch's own formats, or unreadable (the
 * loader reports that).
 */
export async function loadForeign(
  paths: readonly string[],
  index: number,
  options: ForeignOptions,
): Promise<ForeignLoad | undefined> {
  const texts: string[] = [];
  const read = async (path: string) => {
    try {
      return await options.read(path);
    } catch {
      return undefined;
    }
  };
  const first = await read(paths[index]);
  if (first === undefined) return undefined;
  const parse = yamlOf(options);
  const kind = foreignKind(paths[index], first, parse);
  if (!kind) return undefined;
  texts.push(first);
  // Each format's loader (and its schema) loads when a file of it is read.
  if (kind === "procfile") {
    return (await import("./procfile.ts")).loadProcfile(paths[index], first, options);
  }
  if (kind === "process-compose") {
    return await (await import("./process_compose.ts")).loadProcessCompose(
      paths[index],
      first,
      options,
    );
  }
  let end = index + 1;
  while (end < paths.length) {
    const text = await read(paths[end]);
    if (text === undefined || foreignKind(paths[end], text, parse) !== "compose") break;
    texts.push(text);
    end++;
  }
  return await (await import("./compose_files.ts")).loadCompose(
    paths.slice(index, end).map((file, i) => ({ file, text: texts[i] })),
    options,
  );
}
