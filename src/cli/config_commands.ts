/**
 * Commands that only read config: validate, config, graph, init.
 *
 * @module
 */
import { stringify as toYaml } from "../config/vendor/mod.ts";
import { formatHealthExpr, type Stack, UsageError } from "../domain/mod.ts";
import { loadStack, SAMPLE_TOML, SAMPLE_YAML } from "../config/mod.ts";
import type { CliIO } from "./io.ts";
import { graphDot, graphJson, graphMermaid, graphText } from "./graph.ts";
import { type InteropLoadOptions, loadOptionsOf } from "./interop_commands.ts";
import { colorEnabled, makeStyle } from "./style.ts";

function styleFor(io: CliIO) {
  return makeStyle(io.isTerminal && colorEnabled(io.env, io.isTerminal));
}

function load(io: CliIO, files: readonly string[], options: InteropLoadOptions = {}) {
  return loadStack(files, { cwd: io.cwd, env: io.env, ...loadOptionsOf(options) });
}

export { validateCommand } from "./validate.ts";

/** The model as plain data for printing: Infinity as "unlimited", expressions as text. */
export function printable(stack: Stack): unknown {
  return JSON.parse(JSON.stringify(stack, (key, value) => {
    if (value === Infinity) return "unlimited";
    if (key === "expression" && value && typeof value === "object") return formatHealthExpr(value);
    return value;
  }));
}

/** `orch config`: the normalized model. */
export async function configCommand(
  io: CliIO,
  files: readonly string[],
  options: { json?: boolean; yaml?: boolean } & InteropLoadOptions,
): Promise<number> {
  const { stack } = await load(io, files, options);
  const data = printable(stack);
  io.out(options.json ? `${JSON.stringify(data, null, 2)}\n` : toYaml(data));
  return 0;
}

/** `orch graph`. */
export async function graphCommand(
  io: CliIO,
  files: readonly string[],
  options: { dot?: boolean; mermaid?: boolean; json?: boolean },
): Promise<number> {
  const chosen = [options.dot, options.mermaid, options.json].filter(Boolean).length;
  if (chosen > 1) throw new UsageError("choose one of --dot, --mermaid, --json");
  const { stack } = await load(io, files);
  const text = options.dot
    ? graphDot(stack)
    : options.mermaid
    ? graphMermaid(stack)
    : options.json
    ? graphJson(stack)
    : graphText(stack, styleFor(io));
  io.out(`${text}\n`);
  return 0;
}

/** `orch init`: writes a commented sample, never over an existing file. */
export async function initCommand(
  io: CliIO,
  options: { toml?: boolean; file?: string; force?: boolean },
): Promise<number> {
  const name = options.file ?? (options.toml ? "orchestrate.toml" : "orch.yaml");
  const path = name.startsWith("/") ? name : `${io.cwd}/${name}`;
  try {
    await Deno.writeTextFile(path, options.toml ? SAMPLE_TOML : SAMPLE_YAML, {
      createNew: !options.force,
    });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new UsageError(`${name} already exists (use --force to overwrite it)`);
    }
    throw error;
  }
  io.out(`wrote ${name}; run it with: orch up -f ${name}\n`);
  return 0;
}

/** `orch --sample-toml`. */
export function sampleTomlCommand(io: CliIO): number {
  io.out(SAMPLE_TOML);
  return 0;
}

/** `orch init` YAML sample, for tests. */
export { SAMPLE_YAML };
