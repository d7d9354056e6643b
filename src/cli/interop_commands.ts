/**
 * Commands between orch and other tools: `convert` (a Compose, process-compose or Procfile file
 * to an orch stack file, the warnings as comments) and `export compose|k8s`.
 *
 * @module
 */
import { Document, isMap, isScalar, stringify as toYaml } from "../config/vendor/mod.ts";
import { ConfigError, type ConfigIssue, formatIssue, UsageError } from "../domain/mod.ts";
import { loadStack, mergeDeep, parseDotenv } from "../config/mod.ts";
import { loadForeign, relativePath } from "../config/formats/mod.ts";
import {
  cronJobs,
  exportCompose,
  exportK8s,
  type ExportNote,
  type K8sObject,
} from "../export/mod.ts";
import { loadProject } from "../config/flows/mod.ts";
import type { CliIO } from "./io.ts";
import { type InteropLoadOptions, loadOptionsOf, printWarnings } from "./load_options.ts";

export { type InteropLoadOptions, loadOptionsOf, printWarnings } from "./load_options.ts";

function absolute(cwd: string, path: string): string {
  return path.startsWith("/") ? path : `${cwd.replace(/\/$/, "")}/${path}`;
}

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

/** Writes a file atomically (a temporary file renamed over it); refuses to overwrite unless asked. */
async function writeAtomically(
  path: string,
  text: string,
  force: boolean,
  mode?: number,
): Promise<void> {
  if (!force) {
    try {
      await Deno.lstat(path);
      throw new UsageError(`${path} already exists (use --force to overwrite it)`);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.writeTextFile(tmp, text, mode !== undefined ? { mode } : {});
  await Deno.rename(tmp, path);
}

function serviceOf(issue: ConfigIssue): string | undefined {
  const m = /^(?:services|processes)\.([A-Za-z0-9_-]+)/.exec(issue.path) ??
    /^([A-Za-z0-9_-]+)$/.exec(issue.path);
  return m?.[1];
}

/** Renders a stack file as YAML with the warnings as comments, each above its service. */
export function renderStackYaml(
  stackFile: Record<string, unknown>,
  warnings: readonly ConfigIssue[],
  header: string,
): string {
  const doc = new Document(stackFile);
  const general: string[] = [];
  const byService = new Map<string, string[]>();
  for (const w of warnings) {
    const svc = serviceOf(w);
    const line = ` ${formatIssue(w)}`;
    if (svc && (stackFile.services as Record<string, unknown>)?.[svc]) {
      byService.set(svc, [...(byService.get(svc) ?? []), line]);
    } else general.push(line);
  }
  doc.commentBefore = [` ${header}`, ...(general.length ? [" Not mapped:", ...general] : [])].join(
    "\n",
  );
  const services = doc.get("services", true);
  if (isMap(services)) {
    for (const pair of services.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : "";
      const lines = byService.get(key);
      if (lines && isScalar(pair.key)) {
        pair.key.commentBefore = [" Not mapped:", ...lines].join("\n");
      }
    }
  }
  return doc.toString({ lineWidth: 0 });
}

/** `orch convert FILE [-o orch.yaml]`. */
export async function convertCommand(
  io: CliIO,
  file: string,
  options: InteropLoadOptions & { output?: string; force?: boolean },
): Promise<number> {
  const source = absolute(io.cwd, file);
  const loadOptions = loadOptionsOf(options);
  const foreign = await loadForeign([source], 0, {
    read: Deno.readTextFile,
    env: io.env,
    ...loadOptions,
  });
  if (!foreign) {
    throw new UsageError(
      `${file} is not a Compose, process-compose or Procfile file (orch reads its own formats as they are)`,
    );
  }
  if (foreign.issues.length > 0) throw new ConfigError(foreign.issues);
  const toStdout = options.output === "-";
  const target = toStdout
    ? `${dirOf(source)}/orch.yaml`
    : absolute(io.cwd, options.output ?? `${dirOf(source)}/orch.yaml`);
  let stackFile = foreign.results.map((r) => r.stackFile).reduce(mergeDeep, {});
  if (dirOf(target) !== dirOf(source)) {
    stackFile = mergeDeep(stackFile, {
      stack: { workdir: relativePath(dirOf(target), dirOf(source)) },
    });
  }
  const text = renderStackYaml(
    stackFile,
    foreign.warnings,
    `Converted from ${relativePath(dirOf(target), source)} by orch convert (${foreign.format}).`,
  );
  // The output must load: check it before writing anything.
  await loadStack([target], {
    env: io.env,
    readTextFile: (path) => path === target ? Promise.resolve(text) : Deno.readTextFile(path),
  });
  if (toStdout) {
    io.out(text);
    return 0;
  }
  await writeAtomically(target, text, options.force ?? false);
  const count = foreign.warnings.length;
  io.out(
    `wrote ${relativePath(io.cwd, target)} from ${foreign.format}` +
      `${count ? ` (${count} warning${count === 1 ? "" : "s"} as comments)` : ""}; ` +
      `run it with: orch up -f ${relativePath(io.cwd, target)}\n`,
  );
  return 0;
}

function printNotes(io: CliIO, notes: readonly ExportNote[]): void {
  for (const n of notes) io.err(`note: ${n.service ? `${n.service}: ` : ""}${n.message}\n`);
}

/** `orch export compose|k8s [-o FILE|DIR]`. */
export async function exportCommand(
  io: CliIO,
  target: string,
  files: readonly string[],
  options: InteropLoadOptions & { output?: string; force?: boolean; swarm?: boolean },
): Promise<number> {
  if (target !== "compose" && target !== "k8s") {
    throw new UsageError(`orch export: "${target}" is not compose or k8s`);
  }
  // The project: its flows too, scheduled ones becoming CronJobs.
  const loaded = await loadProject(files, { cwd: io.cwd, env: io.env, ...loadOptionsOf(options) });
  printWarnings(io, loaded.warnings);
  const { stack } = loaded;
  const output = options.output && options.output !== "-"
    ? absolute(io.cwd, options.output)
    : undefined;
  if (target === "compose") {
    const { document, notes } = exportCompose(stack, {
      baseDir: output ? dirOf(output) : stack.workdir,
      swarm: options.swarm,
    });
    printNotes(io, notes);
    // YAML 1.1 quoting, so that `restart: "no"` stays a string for Compose's parsers.
    const yaml = toYaml(document, { lineWidth: 0, version: "1.1" });
    const text = `# Exported from ${stack.name} by orch export compose.\n${yaml}`;
    if (!output) io.out(text);
    else {
      await writeAtomically(output, text, options.force ?? true);
      io.err(`wrote ${relativePath(io.cwd, output)}\n`);
    }
    return 0;
  }
  const envFiles = new Map<string, Record<string, string>>();
  for (const svc of Object.values(stack.services)) {
    for (const f of svc.envFiles) {
      try {
        envFiles.set(f, parseDotenv(await Deno.readTextFile(f)).vars);
      } catch {
        io.err(`note: ${svc.name}: env file ${f} cannot be read: its Secret is empty\n`);
        envFiles.set(f, {});
      }
    }
  }
  const { document, notes } = exportK8s(stack, {
    envFiles,
    generators: [cronJobs(loaded.flows)],
  });
  printNotes(io, notes);
  const yamlOf = (o: K8sObject) => toYaml(o, { lineWidth: 0 });
  const secret = document.some((o) => o.kind === "Secret");
  if (!output) {
    io.out(document.map(yamlOf).join("---\n"));
  } else if (/\.ya?ml$/i.test(output)) {
    await writeAtomically(
      output,
      document.map(yamlOf).join("---\n"),
      options.force ?? true,
      secret ? 0o600 : undefined,
    );
    io.err(`wrote ${document.length} objects to ${relativePath(io.cwd, output)}\n`);
  } else {
    await Deno.mkdir(output, { recursive: true });
    for (const o of document) {
      const name = `${o.kind.toLowerCase()}-${o.metadata.name}.yaml`;
      await writeAtomically(
        `${output}/${name}`,
        yamlOf(o),
        true,
        o.kind === "Secret" ? 0o600 : undefined,
      );
    }
    io.err(`wrote ${document.length} files to ${relativePath(io.cwd, output)}/\n`);
  }
  return 0;
}
