/**
 * The `orchestrate.toml` format: `[defaults] workdir` and `[[task]]` tables with `name`, `kind`, `cmd`,
 * `depends_on`, `ready_cmd`, `workdir`. orch adds `[stack] name` and `shutdown_timeout`, and per
 * task `env`, `user`, `tty` and `restart` (the same additions as the `[[services]]` format).
 *
 * @module
 */
import { z } from "../kit/mod.ts";
import type { FieldPath } from "../source.ts";
import { nullTable, table } from "../table.ts";
import type { Translation } from "./translation.ts";

const name = z.string();
const command = z.union([z.string(), z.array(z.string())]);

/** The additions both TOML formats accept per task or service, as orch names them in TOML. */
export const tomlAdditions = {
  kind: z.enum(["oneshot", "service", "daemon"]).optional(),
  env: table(z.union([z.string(), z.number(), z.boolean()])).optional(),
  workdir: z.string().optional(),
  user: z.union([z.string(), z.number()]).optional(),
  tty: z.boolean().optional(),
  restart: z.enum(["always", "on-failure", "never"]).optional(),
  ready_cmd: command.optional(),
};

/** The format's own schema, validated before translation so errors use its field names. */
export const orchestrateTomlSchema = z.strictObject({
  stack: z.strictObject({
    name: z.string().optional(),
    shutdown_timeout: z.union([z.number().min(0), z.string()]).optional(),
  }).optional(),
  defaults: z.strictObject({ workdir: z.string().optional() }).optional(),
  // A task that cannot be read at all is set to null by the loader, so the others keep their index.
  task: z.array(
    z.strictObject({
      name,
      cmd: command.optional(),
      depends_on: z.union([z.string(), z.array(z.string())]).optional(),
      ...tomlAdditions,
    }).nullable(),
  ),
});

type OrchestrateToml = z.output<typeof orchestrateTomlSchema>;

const FIELD_NAMES = new Map([
  ["command", "cmd"],
  ["dependsOn", "depends_on"],
  ["workdir", "workdir"],
  ["kind", "kind"],
  ["env", "env"],
  ["health", "ready_cmd"],
  ["user", "user"],
  ["tty", "tty"],
  ["restartPolicy", "restart"],
]);

/** The stack-file fields of the additions in {@link tomlAdditions}. */
export function translateAdditions(entry: {
  env?: Record<string, unknown>;
  workdir?: string;
  user?: string | number;
  tty?: boolean;
  ready_cmd?: string | string[];
}): Record<string, unknown> {
  return {
    ...(entry.env !== undefined ? { env: entry.env } : {}),
    ...(entry.workdir !== undefined ? { workdir: entry.workdir } : {}),
    ...(entry.user !== undefined ? { user: entry.user } : {}),
    ...(entry.tty !== undefined ? { tty: entry.tty } : {}),
    // A readiness check: failing after ready makes the task unready, it does not restart it.
    ...(entry.ready_cmd !== undefined
      ? { health: { cmd: { command: entry.ready_cmd }, onFailure: "unready" } }
      : {}),
  };
}

/** Translates a validated orchestrate.toml into the stack file shape. */
export function translateOrchestrateToml(data: OrchestrateToml): Translation {
  const services = nullTable<unknown>();
  const index = new Map<string, number>();
  data.task.forEach((task, i) => {
    if (!task) return;
    index.set(task.name, i);
    services[task.name] = {
      kind: task.kind ?? (task.ready_cmd !== undefined ? "service" : "oneshot"),
      ...(task.cmd !== undefined ? { command: task.cmd } : {}),
      ...(task.depends_on !== undefined ? { dependsOn: task.depends_on } : {}),
      ...(task.restart !== undefined ? { restartPolicy: { policy: task.restart } } : {}),
      ...translateAdditions(task),
    };
  });
  const translate = (path: FieldPath): FieldPath => {
    if (path[0] === "defaults" && path[1] === "workdir") return path;
    if (path[0] === "stack") {
      return path[1] === "shutdownTimeout" ? ["stack", "shutdown_timeout"] : ["stack", "name"];
    }
    if (path[0] !== "services" || typeof path[1] !== "string") return [];
    const i = index.get(path[1]);
    if (i === undefined) return ["task"];
    const field = path[2];
    if (field === undefined) return ["task", i];
    const tomlField = FIELD_NAMES.get(String(field));
    if (!tomlField) return ["task", i];
    return field === "dependsOn" || field === "env"
      ? ["task", i, tomlField, ...path.slice(3, 4)]
      : ["task", i, tomlField];
  };
  const stack = {
    ...(data.stack?.name !== undefined ? { name: data.stack.name } : {}),
    ...(data.stack?.shutdown_timeout !== undefined
      ? { shutdownTimeout: data.stack.shutdown_timeout }
      : {}),
  };
  return {
    stackFile: {
      version: "0.1",
      ...(Object.keys(stack).length > 0 ? { stack } : {}),
      ...(data.defaults?.workdir !== undefined
        ? { defaults: { workdir: data.defaults.workdir } }
        : {}),
      services,
    },
    translate,
    duplicateNames: duplicates(
      data.task.flatMap((t, i) => (t ? [[t.name, ["task", i, "name"]]] : [])),
    ),
  };
}

/** Names given more than once, with the path of each repeat. */
export function duplicates(entries: [string, FieldPath][]): [string, FieldPath][] {
  const seen = new Set<string>();
  return entries.filter(([name]) => seen.has(name) || !seen.add(name));
}
