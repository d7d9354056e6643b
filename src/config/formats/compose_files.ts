/**
 * Loading a Compose project: each file parsed, interpolated with Compose's rules (the `.env` of
 * the project directory, the environment first) and validated on its own; then the files merged
 * with Compose's merge rules, `extends` resolved (also from other files), and `include`d files
 * loaded as their own units. The translation itself is in `compose.ts`.
 *
 * @module
 */
import type { ConfigIssue } from "../../domain/mod.ts";
import { parseDotenv } from "../dotenv.ts";
import { type FieldPath, formatPath, type Locator } from "../source.ts";
import type { ComposeFile, ComposeService } from "./compose_schema.ts";
import {
  absolutePaths,
  Collector,
  mergeComposeService,
  parseComposeFile,
  type Parsed,
} from "./compose_merge.ts";
import { translateComposeService } from "./compose.ts";
import type { ComposeContext, LoadedService, Origin } from "./compose_context.ts";
import { translateComposeNetworks } from "./compose_networks.ts";
import {
  dirOf,
  type ForeignLoad,
  type ForeignOptions,
  issueAt,
  PathMap,
  resolveFrom,
  type TranslatedFile,
  yamlOf,
} from "./foreign.ts";

interface Unit {
  readonly file: string;
  readonly locate: Locator;
  readonly dir: string;
  readonly name: string | undefined;
  readonly services: Map<string, LoadedService>;
  readonly networks: Record<string, NonNullable<ComposeFile["networks"]>[string]>;
  readonly volumes: Record<string, NonNullable<ComposeFile["volumes"]>[string]>;
  readonly includes: { entry: NonNullable<ComposeFile["include"]>[number]; origin: Origin }[];
}

function unitOf(docs: Parsed[], dir: string): Unit {
  const services = new Map<string, LoadedService>();
  const networks: Unit["networks"] = {};
  const volumes: Unit["volumes"] = {};
  const includes: Unit["includes"] = [];
  let name: string | undefined;
  for (const doc of docs) {
    name = doc.data.name ?? name;
    Object.assign(networks, doc.data.networks ?? {});
    Object.assign(volumes, doc.data.volumes ?? {});
    (doc.data.include ?? []).forEach((entry, i) =>
      includes.push({ entry, origin: { file: doc.file, locate: doc.locate, path: ["include", i] } })
    );
    for (const [svcName, data] of Object.entries(doc.data.services ?? {})) {
      const prev = services.get(svcName);
      const origins = new Map(prev?.origins ?? []);
      for (const key of Object.keys(data)) {
        origins.set(key, { file: doc.file, locate: doc.locate, path: ["services", svcName, key] });
      }
      services.set(svcName, {
        name: svcName,
        data: prev ? mergeComposeService(prev.data, data) : data,
        home: prev?.home ?? { file: doc.file, locate: doc.locate, path: ["services", svcName] },
        origins,
        dir,
      });
    }
  }
  return {
    file: docs[0].file,
    locate: docs[0].locate,
    dir,
    name,
    services,
    networks,
    volumes,
    includes,
  };
}

/** Loads one unit: its files merged, `extends` resolved. */
async function loadUnit(
  files: { file: string; text: string }[],
  dir: string,
  lookup: (name: string) => string | undefined,
  options: ForeignOptions,
  out: Collector,
): Promise<Unit | undefined> {
  const docs: Parsed[] = [];
  for (const { file, text } of files) {
    const doc = parseComposeFile(file, text, lookup, out, yamlOf(options));
    if (doc) docs.push(doc);
  }
  if (docs.length !== files.length) return undefined;
  const unit = unitOf(docs, dir);
  const external = new Map<string, Unit | undefined>();
  const resolve = async (
    u: Unit,
    name: string,
    seen: string[],
  ): Promise<LoadedService | undefined> => {
    const svc = u.services.get(name);
    if (!svc?.data.extends) return svc;
    const ext = typeof svc.data.extends === "string"
      ? { service: svc.data.extends }
      : svc.data.extends;
    const origin = svc.origins.get("extends")!;
    const key = `${ext.file ? resolveFrom(dirOf(origin.file), ext.file) : u.file}#${ext.service}`;
    if (seen.includes(key)) {
      out.issues.push(
        issueAt(
          origin.file,
          origin.locate,
          origin.path,
          `extends cycle: ${[...seen, key].join(" -> ")}`,
        ),
      );
      return undefined;
    }
    let from: Unit | undefined = u;
    if (ext.file) {
      const path = resolveFrom(dirOf(origin.file), ext.file);
      if (!external.has(path)) {
        let text: string | undefined;
        try {
          text = await options.read(path);
        } catch {
          out.issues.push(
            issueAt(origin.file, origin.locate, [...origin.path, "file"], `cannot read ${path}`),
          );
        }
        const doc = text === undefined
          ? undefined
          : parseComposeFile(path, text, lookup, out, yamlOf(options));
        external.set(path, doc ? unitOf([doc], dirOf(path)) : undefined);
      }
      from = external.get(path);
      if (!from) return undefined;
    }
    if (!from.services.has(ext.service)) {
      out.issues.push(
        issueAt(
          origin.file,
          origin.locate,
          [...origin.path],
          `no service ${ext.service} to extend in ${from.file}`,
        ),
      );
      return undefined;
    }
    const base = await resolve(from, ext.service, [...seen, key]);
    if (!base) return undefined;
    const baseData = from.dir === u.dir ? base.data : absolutePaths(base.data, from.dir);
    const { extends: _e, ...own } = svc.data;
    const origins = new Map(svc.origins);
    for (const k of Object.keys(baseData)) if (!origins.has(k)) origins.set(k, origin);
    const merged: LoadedService = {
      ...svc,
      data: mergeComposeService(baseData, own as ComposeService),
      origins,
    };
    u.services.set(name, merged);
    return merged;
  };
  for (const name of [...unit.services.keys()]) {
    if (!await resolve(unit, name, [])) {
      if (unit.services.get(name)?.data.extends) return undefined;
    }
  }
  return unit;
}

async function envOf(
  path: string,
  options: ForeignOptions,
  out: Collector,
  required: boolean,
): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await options.read(path);
  } catch {
    if (required) out.issues.push({ file: path, path: "", message: "env file not found" });
    return {};
  }
  const parsed = parseDotenv(text);
  for (const issue of parsed.issues) {
    out.issues.push({ file: path, line: issue.line, column: 1, path: "", message: issue.message });
  }
  return parsed.vars;
}

/** The project name Compose derives from a directory: lowercase letters, digits, `-` and `_`. */
export function projectNameOf(dir: string): string {
  const base = dir.replace(/\/+$/, "").split("/").pop() ?? "";
  return base.toLowerCase().replace(/[^a-z0-9_-]/g, "").replace(/^[^a-z0-9]+/, "") || "default";
}

/** Loads and translates Compose files (the first is the main one, the rest override it). */
export async function loadCompose(
  files: { file: string; text: string }[],
  options: ForeignOptions,
): Promise<ForeignLoad> {
  const out = new Collector();
  const stackDir = dirOf(files[0].file);
  const dotenv = await envOf(`${stackDir}/.env`, options, out, false);
  const lookup = (n: string) => options.env(n) ?? dotenv[n];
  const failed = (): ForeignLoad => ({
    format: "compose",
    results: [],
    issues: out.issues,
    warnings: out.warnings,
    consumed: files.length,
  });
  const main = await loadUnit(files, stackDir, lookup, options, out);
  if (!main) return failed();
  const units: { unit: Unit; lookup: (n: string) => string | undefined }[] = [];
  const seenFiles = new Set(files.map((f) => f.file));
  const include = async (unit: Unit) => {
    for (const { entry, origin } of unit.includes) {
      const spec = typeof entry === "string" ? { path: entry } : entry;
      const paths = (typeof spec.path === "string" ? [spec.path] : spec.path).map((p) =>
        resolveFrom(dirOf(origin.file), p)
      );
      const dir = spec.project_directory
        ? resolveFrom(dirOf(origin.file), spec.project_directory)
        : dirOf(paths[0]);
      const envFiles = spec.env_file === undefined
        ? [`${dir}/.env`]
        : (typeof spec.env_file === "string" ? [spec.env_file] : spec.env_file).map((p) =>
          resolveFrom(dirOf(origin.file), p)
        );
      const vars: Record<string, string> = Object.create(null);
      for (const f of envFiles) {
        Object.assign(vars, await envOf(f, options, out, spec.env_file !== undefined));
      }
      const texts: { file: string; text: string }[] = [];
      for (const path of paths) {
        if (seenFiles.has(path)) {
          out.issues.push(
            issueAt(
              origin.file,
              origin.locate,
              origin.path,
              `${path} is included more than once (or includes itself)`,
            ),
          );
          return;
        }
        seenFiles.add(path);
        try {
          texts.push({ file: path, text: await options.read(path) });
        } catch {
          out.issues.push(
            issueAt(origin.file, origin.locate, origin.path, `cannot read included file ${path}`),
          );
          return;
        }
      }
      const unitLookup = (n: string) => options.env(n) ?? vars[n];
      const child = await loadUnit(texts, dir, unitLookup, options, out);
      if (!child) continue;
      await include(child);
      units.push({ unit: child, lookup: unitLookup });
    }
  };
  await include(main);
  units.push({ unit: main, lookup });
  if (out.issues.length > 0) return failed();

  const all = new Map<string, LoadedService>();
  for (const { unit } of units) {
    for (const [name, svc] of unit.services) {
      const prev = all.get(name);
      if (prev) {
        out.issues.push(
          issueAt(
            svc.home.file,
            svc.home.locate,
            svc.home.path,
            `service ${name} is also defined in ${prev.home.file}`,
          ),
        );
      }
      all.set(name, svc);
    }
  }
  const project = main.name ?? options.env("COMPOSE_PROJECT_NAME") ?? projectNameOf(stackDir);
  const profiles = new Set([
    ...(options.profiles ?? []),
    ...(options.env("COMPOSE_PROFILES") ?? "").split(",").map((p) => p.trim()).filter(Boolean),
  ]);
  const oneshots = new Set<string>();
  const volumes = new Map<string, string>();
  const networkKeys = new Set<string>();
  const existing = new Set<string>();
  for (const { unit } of units) {
    for (const [key, v] of Object.entries(unit.volumes)) {
      volumes.set(key, v.name ?? (v.external ? key : `${project}_${key}`));
    }
    for (const key of Object.keys(unit.networks)) networkKeys.add(key);
    for (const svc of unit.services.values()) {
      const deps = svc.data.depends_on;
      if (deps && !Array.isArray(deps)) {
        for (const [target, spec] of Object.entries(deps)) {
          if (spec.condition === "service_completed_successfully") oneshots.add(target);
        }
      }
      const envFiles = svc.data.env_file === undefined
        ? []
        : typeof svc.data.env_file === "string"
        ? [svc.data.env_file]
        : svc.data.env_file;
      for (const e of envFiles) {
        const path = resolveFrom(svc.dir, typeof e === "string" ? e : e.path);
        try {
          await options.read(path);
          existing.add(path);
        } catch {
          // reported by the translation when required
        }
      }
    }
  }
  const results: TranslatedFile[] = [];
  for (const { unit, lookup: unitLookup } of units) {
    const ctx: ComposeContext = {
      project,
      stackDir,
      profiles,
      all,
      oneshots,
      volumes,
      networks: networkKeys,
      existing,
      lookup: unitLookup,
    };
    const map = new PathMap();
    const services: Record<string, unknown> = Object.create(null);
    const report = {
      warn: (i: ConfigIssue) => out.warnings.push(i),
      error: (i: ConfigIssue) => out.issues.push(i),
    };
    for (const svc of unit.services.values()) {
      services[svc.name] = translateComposeService(svc, ctx, map, report);
    }
    const networks = translateComposeNetworks(unit, services, map, report);
    for (const [key, v] of Object.entries(unit.volumes)) {
      const extra = Object.keys(v).filter((k) => !["name", "external"].includes(k));
      if (extra.length > 0) {
        report.warn(
          issueAt(
            unit.file,
            unit.locate,
            ["volumes", key, extra[0]],
            `${extra.join(", ")}: orch lets the engine create a local volume`,
          ),
        );
      }
    }
    results.push({
      file: unit.file,
      stackFile: {
        version: "0.1",
        stack: { name: project },
        ...(networks ? { networks } : {}),
        services,
      },
      locate: unit.locate,
      translate: (path: FieldPath) => map.translate(path),
    });
  }
  return {
    format: "compose",
    results,
    issues: out.issues,
    warnings: out.warnings,
    consumed: files.length,
  };
}

/** For tests: formats a located warning as the CLI prints it. */
export function describeOrigin(origin: Origin): string {
  const pos = origin.locate(origin.path);
  return `${origin.file}:${pos?.line ?? "?"}: ${formatPath(origin.path)}`;
}
