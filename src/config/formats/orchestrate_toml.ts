/**
 * The `orchestrate.toml` format: `[defaults] workdir` and `[[task]]` tables with `name`, `kind`, `cmd`,
 * `depends_on`, `ready_cmd`, `workdir` (and `env`).
 *
 * @module
 */
import { z } from "zod";
import type { FieldPath } from "../source.ts";
import type { Translation } from "./mod.ts";

const name = z.string();

/** The format's own schema, validated before translation so errors use its field names. */
export const orchestrateTomlSchema = z.strictObject({
  defaults: z.strictObject({ workdir: z.string().optional() }).optional(),
  task: z.array(z.strictObject({
    name,
    kind: z.enum(["oneshot", "service", "daemon"]).optional(),
    cmd: z.union([z.string(), z.array(z.string())]),
    depends_on: z.union([z.string(), z.array(z.string())]).optional(),
    ready_cmd: z.union([z.string(), z.array(z.string())]).optional(),
    workdir: z.string().optional(),
    env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  })),
});

type OrchestrateToml = z.output<typeof orchestrateTomlSchema>;

const FIELD_NAMES: Record<string, string> = {
  command: "cmd",
  dependsOn: "depends_on",
  workdir: "workdir",
  kind: "kind",
  env: "env",
  health: "ready_cmd",
};

/** Translates a validated orchestrate.toml into the stack file shape. */
export function translateOrchestrateToml(data: OrchestrateToml): Translation {
  const services: Record<string, unknown> = {};
  const index = new Map<string, number>();
  data.task.forEach((task, i) => {
    index.set(task.name, i);
    services[task.name] = {
      kind: task.kind ?? (task.ready_cmd !== undefined ? "service" : "oneshot"),
      command: task.cmd,
      ...(task.depends_on !== undefined ? { dependsOn: task.depends_on } : {}),
      // A readiness check: failing after ready makes the task unready, it does not restart it.
      ...(task.ready_cmd !== undefined
        ? { health: { cmd: { command: task.ready_cmd }, onFailure: "unready" } }
        : {}),
      ...(task.workdir !== undefined ? { workdir: task.workdir } : {}),
      ...(task.env !== undefined ? { env: task.env } : {}),
    };
  });
  const translate = (path: FieldPath): FieldPath => {
    if (path[0] === "defaults" && path[1] === "workdir") return path;
    if (path[0] !== "services" || typeof path[1] !== "string") return [];
    const i = index.get(path[1]);
    if (i === undefined) return ["task"];
    const field = path[2];
    if (field === undefined) return ["task", i];
    const tomlField = FIELD_NAMES[String(field)];
    if (!tomlField) return ["task", i];
    return field === "dependsOn"
      ? ["task", i, tomlField, ...path.slice(3, 4)]
      : ["task", i, tomlField];
  };
  return {
    stackFile: {
      version: "0.1",
      ...(data.defaults?.workdir !== undefined
        ? { defaults: { workdir: data.defaults.workdir } }
        : {}),
      services,
    },
    translate,
    duplicateNames: duplicates(data.task.map((t, i) => [t.name, ["task", i, "name"]])),
  };
}

/** Names given more than once, with the path of each repeat. */
export function duplicates(entries: [string, FieldPath][]): [string, FieldPath][] {
  const seen = new Set<string>();
  return entries.filter(([name]) => seen.has(name) || !seen.add(name));
}
