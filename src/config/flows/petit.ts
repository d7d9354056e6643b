/**
 * Petit's files, read as they are (see `../shared/formats/petit-jobs.md`): a job file per flow
 * (`name`, `schedule`, `timezone`, `max_concurrency`, `depends_on` on other jobs, `config`, `tasks`
 * by name with `program`/`args`/`env`/`depends_on`/`condition`/`retry`/`resources.slots`), and the
 * global file (`executor.max_concurrency`, `resources.pools`, `storage`). Each is validated in its
 * own field names, then translated into orch's flow shape with a path map back.
 *
 * @module
 */
import { z } from "../kit/mod.ts";
import type { FieldPath } from "../source.ts";
import type { FlowTranslation } from "./conducktor.ts";

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const count = z.number().int().min(1);
const seconds = z.number().min(0);

const petitTaskSchema = z.strictObject({
  type: z.literal("command").optional(),
  program: z.string().min(1),
  args: z.array(scalar).optional(),
  env: z.record(z.string(), scalar).optional(),
  working_dir: z.string().optional(),
  depends_on: z.array(z.string()).optional(),
  condition: z.enum(["always", "all_success", "on_failure", "all_done"]).optional(),
  retry: z.strictObject({
    max_attempts: count.optional(),
    delay_seconds: seconds.optional(),
    /** orch's addition: retry only on these exit codes. */
    exit_codes: z.array(z.number().int().min(0).max(255)).min(1).optional(),
  }).optional(),
  resources: z.strictObject({
    slots: z.record(z.string(), count).optional(),
    memory_bytes: z.number().int().min(1).optional(),
    cpu_cores: z.number().positive().optional(),
  }).optional(),
  timeout_seconds: z.number().positive().optional(),
  description: z.string().optional(),
});

/** A Petit job file. */
export const petitJobSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  schedule: z.string().optional(),
  timezone: z.string().optional(),
  max_concurrency: count.optional(),
  depends_on: z.array(z.strictObject({
    job: z.string().min(1),
    condition: z.enum(["last_success", "within_window"]).optional(),
    /** orch's addition: how recent a success `within_window` asks for (default 24h). */
    window_seconds: z.number().positive().optional(),
  })).optional(),
  config: z.record(z.string(), scalar).optional(),
  tasks: z.record(z.string(), petitTaskSchema),
});

/** Petit's global file. */
export const petitGlobalSchema = z.strictObject({
  executor: z.strictObject({ max_concurrency: count.optional() }).optional(),
  resources: z.strictObject({ pools: z.record(z.string(), count).optional() }).optional(),
  storage: z.strictObject({
    type: z.literal("sqlite").optional(),
    path: z.string().optional(),
  }).optional(),
  scheduler: z.strictObject({ tick_interval_ms: z.number().positive().optional() }).optional(),
  logging: z.strictObject({
    level: z.string().optional(),
    format: z.string().optional(),
  }).optional(),
});

/** A validated Petit job. */
export type PetitJob = z.output<typeof petitJobSchema>;
/** A validated Petit global file. */
export type PetitGlobal = z.output<typeof petitGlobalSchema>;

const TASK_FIELDS: Record<string, FieldPath> = {
  command: ["program"],
  env: ["env"],
  workdir: ["working_dir"],
  dependsOn: ["depends_on"],
  condition: ["condition"],
  slots: ["resources", "slots"],
  timeout: ["timeout_seconds"],
};

/** Translates a validated job into orch's flow shape. */
export function translatePetitJob(job: PetitJob): FlowTranslation {
  const tasks: Record<string, unknown> = {};
  for (const [name, task] of Object.entries(job.tasks)) {
    tasks[name] = {
      command: [task.program, ...(task.args ?? [])],
      ...(task.env ? { env: task.env } : {}),
      ...(task.working_dir !== undefined ? { workdir: task.working_dir } : {}),
      ...(task.depends_on ? { dependsOn: task.depends_on } : {}),
      condition: task.condition ?? "all_success",
      ...(task.retry
        ? {
          retry: {
            ...(task.retry.max_attempts !== undefined ? { attempts: task.retry.max_attempts } : {}),
            ...(task.retry.delay_seconds !== undefined ? { delay: task.retry.delay_seconds } : {}),
            ...(task.retry.exit_codes ? { onExitCodes: task.retry.exit_codes } : {}),
          },
        }
        : {}),
      ...(task.resources?.slots ? { slots: task.resources.slots } : {}),
      ...(task.resources?.memory_bytes !== undefined || task.resources?.cpu_cores !== undefined
        ? {
          resources: {
            ...(task.resources.memory_bytes !== undefined
              ? { memory: task.resources.memory_bytes }
              : {}),
            ...(task.resources.cpu_cores !== undefined ? { cpus: task.resources.cpu_cores } : {}),
          },
        }
        : {}),
      ...(task.timeout_seconds !== undefined ? { timeout: task.timeout_seconds } : {}),
      ...(task.description !== undefined ? { description: task.description } : {}),
    };
  }
  const requires = (job.depends_on ?? []).map((d) => ({
    flow: d.job,
    condition: d.condition ?? "last_success",
    ...(d.window_seconds !== undefined ? { window: d.window_seconds } : {}),
  }));
  const data: Record<string, unknown> = {
    name: job.name,
    ...(job.description !== undefined ? { description: job.description } : {}),
    ...(job.schedule !== undefined ? { schedule: [job.schedule] } : {}),
    ...(job.timezone !== undefined ? { timezone: job.timezone } : {}),
    ...(job.max_concurrency !== undefined ? { maxConcurrency: job.max_concurrency } : {}),
    ...(requires.length > 0 ? { requires } : {}),
    // A job with no schedule that depends on others runs when they succeed.
    ...(requires.length > 0 && job.schedule === undefined
      ? { after: requires.map((r) => ({ flow: r.flow, on: "success" })) }
      : {}),
    ...(job.config ? { config: job.config } : {}),
    tasks,
  };
  const translate = (path: FieldPath): FieldPath => {
    const [head, ...rest] = path;
    if (head === "schedule") return ["schedule"];
    if (head === "maxConcurrency") return ["max_concurrency"];
    if (head === "requires" || head === "after") return ["depends_on", ...rest.slice(0, 1)];
    if (head !== "tasks" || typeof rest[0] !== "string") return path;
    const [name, field, ...more] = rest;
    if (field === undefined) return ["tasks", name];
    if (field === "retry") {
      const sub = more[0] === "attempts"
        ? ["max_attempts"]
        : more[0] === "delay"
        ? ["delay_seconds"]
        : more[0] === "onExitCodes"
        ? ["exit_codes"]
        : [];
      return ["tasks", name, "retry", ...sub];
    }
    if (field === "resources") {
      const sub = more[0] === "memory" ? ["memory_bytes"] : more[0] === "cpus" ? ["cpu_cores"] : [];
      return ["tasks", name, "resources", ...sub];
    }
    const mapped = TASK_FIELDS[String(field)];
    return mapped ? ["tasks", name, ...mapped, ...more] : ["tasks", name];
  };
  return { data, translate, problems: [] };
}
