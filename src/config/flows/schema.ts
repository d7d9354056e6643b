/**
 * The schema of a flow as orch writes it: under `flows.NAME` of a stack file, or alone in a flow
 * file (with `name`). Conducktor's and Petit's files are translated into this shape first. What
 * needs the whole flow (the graph, cron, time zones, pools) is checked in `normalize.ts`.
 *
 * @module
 */
import { z } from "../kit/mod.ts";
import { command, duration, resourcesSchema } from "../schema.ts";
import {
  EDGE_ONS,
  INSTANCE_STATES,
  OVERLAP_POLICIES,
  TASK_CONDITIONS,
  TASK_EXECUTORS,
} from "../../domain/mod.ts";

const describe = (value: unknown): string =>
  value === null
    ? "null"
    : Array.isArray(value)
    ? "a list"
    : typeof value === "object"
    ? "a table"
    : `${typeof value} ${JSON.stringify(value)}`;

const scalar = z.unknown().transform((value, ctx): string => {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }
  ctx.addIssue({ code: "custom", message: `expected a string, got ${describe(value)}` });
  return z.NEVER;
});

/** One name or a list of names. */
const names = z.preprocess(
  (value) => (typeof value === "string" ? [value] : value),
  z.array(z.string().min(1)),
);

const count = z.number().int().min(1);

const retrySchema = z.preprocess(
  (value) => (typeof value === "number" ? { attempts: value } : value),
  z.strictObject({
    attempts: count.optional(),
    delay: duration.optional(),
    factor: z.number().min(1).max(100).optional(),
    maxDelay: duration.optional(),
    onExitCodes: z.array(z.number().int().min(0).max(255)).min(1).optional(),
  }),
);

const edgeSchema = z.preprocess(
  (value) => (typeof value === "string" ? { task: value } : value),
  z.strictObject({ task: z.string().min(1), on: z.enum(EDGE_ONS).optional() }),
);

/** One task as written. */
export const flowTaskSchema = z.strictObject({
  command,
  args: z.array(scalar).optional(),
  runtime: z.enum(["process", "docker"]).optional(),
  image: z.string().optional(),
  executor: z.enum(TASK_EXECUTORS).optional(),
  env: z.record(z.string(), scalar).optional(),
  workdir: z.string().optional(),
  user: scalar.optional(),
  group: scalar.optional(),
  timeout: duration.optional(),
  stop: z.strictObject({
    signal: z.string().regex(/^(SIG)?[A-Z0-9]+$/, "expected a signal name like SIGTERM").optional(),
    timeout: duration.optional(),
  }).optional(),
  retry: retrySchema.optional(),
  needs: names.optional(),
  slots: z.record(z.string(), count).optional(),
  dependsOn: z.preprocess(
    (value) => (typeof value === "string" ? [value] : value),
    z.array(edgeSchema),
  ).optional(),
  condition: z.enum(TASK_CONDITIONS).optional(),
  successCodes: z.array(z.number().int().min(0).max(255)).min(1).optional(),
  resources: resourcesSchema.optional(),
  description: z.string().optional(),
});

const chainSchema = z.preprocess(
  (value) => (typeof value === "string" ? { flow: value } : value),
  z.strictObject({ flow: z.string().min(1), on: z.enum(EDGE_ONS).optional() }),
);

const serviceTriggerSchema = z.strictObject({
  service: z.string().min(1),
  state: z.enum(INSTANCE_STATES),
});

/** A table `{api: failed}` becomes `[{service: api, state: failed}]`. */
const onServiceSchema = z.preprocess(
  (value) => {
    if (value && typeof value === "object" && !Array.isArray(value)) {
      return Object.entries(value).flatMap(([service, state]) =>
        (Array.isArray(state) ? state : [state]).map((s) => ({ service, state: s }))
      );
    }
    return value;
  },
  z.array(serviceTriggerSchema),
);

const catchUpSchema = z.preprocess(
  (value) => (typeof value === "string" ? { mode: value } : value),
  z.strictObject({ mode: z.enum(["none", "latest", "all"]), window: duration.optional() }),
);

/** One dag entry: `"A: B"`, `"A?: B | C"`, or the same as a one-key table. */
export const dagEntrySchema = z.union([z.string(), z.record(z.string(), z.unknown())]);

/** One flow as written (stack.yaml `flows.NAME`, or a flow file). */
export const flowSchema = z.strictObject({
  name: z.string().optional(),
  description: z.string().optional(),
  schedule: z.preprocess(
    (value) => (typeof value === "string" ? [value] : value),
    z.array(z.string()),
  ).optional(),
  timezone: z.string().optional(),
  events: names.optional(),
  eventTrigger: names.optional(),
  after: z.preprocess(
    (value) => (typeof value === "string" || !Array.isArray(value) ? [value] : value),
    z.array(chainSchema),
  ).optional(),
  onService: onServiceSchema.optional(),
  requires: z.array(z.strictObject({
    flow: z.string().min(1),
    condition: z.enum(["last_success", "within_window"]).optional(),
    window: duration.optional(),
  })).optional(),
  catchUp: catchUpSchema.optional(),
  overlap: z.enum(OVERLAP_POLICIES).optional(),
  maxActiveRuns: count.optional(),
  maxConcurrency: count.optional(),
  retention: z.strictObject({
    days: z.number().positive().optional(),
    count: count.optional(),
  }).optional(),
  config: z.record(z.string(), scalar).optional(),
  env: z.record(z.string(), scalar).optional(),
  workdir: z.string().optional(),
  /** The executor of its tasks that name none. */
  executor: z.enum(TASK_EXECUTORS).optional(),
  tasks: z.record(z.string(), flowTaskSchema),
  dag: z.array(dagEntrySchema).optional(),
});

/** The parts of a stack file that belong to flows. */
export const flowSectionSchema = z.strictObject({
  flows: z.record(z.string(), z.unknown()).optional(),
  pools: z.record(z.string(), count).optional(),
  scheduler: z.strictObject({
    maxExecutors: count.optional(),
    db: z.string().optional(),
    swarm: z.strictObject({ host: z.string().min(1).optional() }).optional(),
  }).optional(),
});

/** A flow after parsing: durations in ms, commands parsed. */
export type FlowFile = z.output<typeof flowSchema>;
/** One parsed task. */
export type FlowTaskFile = z.output<typeof flowTaskSchema>;
