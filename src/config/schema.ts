/**
 * The stack file schema (stack.yaml v0.1 and orch's additions). Every config format is turned into this
 * shape before it is validated; the parsed output is turned into the frozen model by `normalize.ts`.
 *
 * Fields are optional here: a later `-f` file may set just one of them. What is required is checked on
 * the merged result.
 *
 * @module
 */
import { z } from "./kit/mod.ts";
import {
  clip,
  type Command,
  parseDuration,
  type PortSpec,
  quote,
  type Resources,
} from "../domain/mod.ts";
import { parsePort } from "./ports.ts";
import { describe, table } from "./table.ts";
import { entrypointSchema, serviceNetworksSchema, stackNetworksSchema } from "./schema_interop.ts";

/** A duration: `"500ms"`, `"2s"`, `"1m30s"`, or a number of seconds. Output: milliseconds. */
export const duration = z.unknown().transform((value, ctx): number => {
  if (typeof value === "string" || typeof value === "number") {
    const ms = parseDuration(value);
    if (ms !== undefined) return ms;
  }
  ctx.addIssue({
    code: "custom",
    message: `expected a duration like "500ms", "2s" or "1m30s", got ${describe(value)}`,
  });
  return z.NEVER;
});

/** A command: a list run directly, or a string run by `sh -c`. */
export const command = z.unknown().transform((value, ctx): Command => {
  if (typeof value === "string" && value.trim() !== "") return { shell: value };
  if (
    Array.isArray(value) && value.length > 0 &&
    value.every((v) => typeof v === "string" || typeof v === "number")
  ) {
    return { exec: value.map(String) };
  }
  ctx.addIssue({
    code: "custom",
    message: `expected a command (a non-empty string or list of strings), got ${describe(value)}`,
  });
  return z.NEVER;
});

const scalarString = z.unknown().transform((value, ctx): string => {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }
  ctx.addIssue({ code: "custom", message: `expected a string, got ${describe(value)}` });
  return z.NEVER;
});

const stringList = z.unknown().transform((value, ctx): string[] => {
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value;
  ctx.addIssue({
    code: "custom",
    message: `expected a string or a list of strings, got ${describe(value)}`,
  });
  return z.NEVER;
});

const regex = z.string().transform((value, ctx): string => {
  try {
    new RegExp(value);
    return value;
  } catch (error) {
    // The engine's message repeats the whole pattern: say where it is wrong, quote a little of it.
    const why = (error as Error).message.replace(
      /^Invalid regular expression: \/.*\/[a-z]*: /s,
      "",
    );
    ctx.addIssue({
      code: "custom",
      message: `invalid regular expression ${quote(value, 60)}: ${clip(why, 100)}`,
    });
    return z.NEVER;
  }
});

const port = z.unknown().transform((value, ctx): PortSpec => {
  if (typeof value === "string" || typeof value === "number") {
    const parsed = parsePort(value);
    if (typeof parsed !== "string") return parsed;
    ctx.addIssue({ code: "custom", message: parsed });
  } else {
    ctx.addIssue({ code: "custom", message: `expected a port, got ${describe(value)}` });
  }
  return z.NEVER;
});

const positiveInt = z.number().int().min(1);

const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** A memory size: bytes, or `"256m"`, `"1.5g"`, `"512MiB"` (binary units, as Docker reads them). */
export const memorySize = z.unknown().transform((value, ctx): number => {
  const match = typeof value === "string"
    ? /^\s*(\d+(?:\.\d+)?)\s*([bkmg]?)(?:i?b)?\s*$/i.exec(value)
    : undefined;
  const bytes = typeof value === "number"
    ? value
    : match
    ? Number(match[1]) * SIZE_UNITS[match[2].toLowerCase()]
    : NaN;
  if (Number.isFinite(bytes) && bytes >= 1024 * 1024 && bytes <= 2 ** 53) return Math.floor(bytes);
  ctx.addIssue({
    code: "custom",
    message: Number.isFinite(bytes)
      ? `a memory limit must be at least 1m, got ${describe(value)}`
      : `expected a memory size like "256m" or "1g", got ${describe(value)}`,
  });
  return z.NEVER;
});
const count = z.number().int().min(0);

const statusList = z.preprocess(
  (value) => (typeof value === "number" ? [value] : value),
  z.array(z.number().int().min(100).max(599)).min(1),
);

const timing = {
  gracePeriod: duration.optional(),
  interval: duration.optional(),
  timeout: duration.optional(),
  successThreshold: positiveInt.optional(),
  failureThreshold: positiveInt.optional(),
};

/** What a probe failing after ready does: restart the instance (liveness) or only unready it. */
const onFailure = z.enum(["restart", "unready"]);

/** Probe timing, allowed under `defaults.health`. */
export const healthDefaultsSchema = z.strictObject({ ...timing, onFailure: onFailure.optional() });

const healthSchema = z.strictObject({
  http: z.strictObject({
    url: z.string(),
    method: z.string().optional(),
    headers: table(scalarString).optional(),
    expectStatus: statusList.optional(),
  }).optional(),
  tcp: z.strictObject({ address: z.string() }).optional(),
  cmd: z.strictObject({ command, inContainer: z.boolean().optional() }).optional(),
  log: z.strictObject({
    pattern: regex,
    sources: z.array(z.enum(["stdout", "stderr"])).min(1).optional(),
  }).optional(),
  expression: z.string().optional(),
  onFailure: onFailure.optional(),
  ...timing,
});

const RESTART_ALIASES = new Map([
  ["no", "never"],
  ["false", "never"],
  ["on_failure", "on-failure"],
  ["unless-stopped", "always"],
  ["true", "always"],
]);

const restartPolicySchema = z.preprocess(
  (value) => {
    if (typeof value === "string" || typeof value === "boolean") value = { policy: value };
    if (value && typeof value === "object" && "policy" in value) {
      const policy = (value as { policy: unknown }).policy;
      const alias = typeof policy === "string" || typeof policy === "boolean"
        ? RESTART_ALIASES.get(String(policy))
        : undefined;
      return { ...value, policy: alias ?? policy };
    }
    return value;
  },
  z.strictObject({
    policy: z.enum(["always", "on-failure", "never"]).optional(),
    maxRetries: z.union([count, z.literal("unlimited")]).optional(),
    backoff: z.strictObject({
      min: duration.optional(),
      max: duration.optional(),
      factor: z.number().min(1).max(100).optional(),
      jitter: z.number().min(0).max(1).optional(),
    }).optional(),
    stablePeriod: duration.optional(),
  }),
);

const stopSchema = z.strictObject({
  signal: z.string().regex(/^(SIG)?[A-Z0-9]+$/, "expected a signal name like SIGTERM").optional(),
  timeout: duration.optional(),
});

const hookSchema = z.preprocess(
  (value) => (typeof value === "string" || Array.isArray(value) ? { command: value } : value),
  z.strictObject({ command, timeout: duration.optional() }),
);

const dependencySchema = z.preprocess(
  (value) => (typeof value === "string" ? { target: value } : value),
  z.strictObject({
    target: z.string(),
    require: z.enum(["started", "exists", "ready", "completed"]).optional(),
    timeout: duration.optional(),
    restart: z.boolean().optional(),
  }),
);

const dependsOnSchema = z.preprocess(
  (value) => {
    if (typeof value === "string") return [value];
    if (value && typeof value === "object" && !Array.isArray(value)) {
      return Object.entries(value).map(([target, spec]) => ({
        target,
        ...(spec && typeof spec === "object" ? spec : {}),
      }));
    }
    return value;
  },
  z.array(dependencySchema),
);

/** `resources: {memory, cpus, pids}` of a service or a flow task. */
export const resourcesSchema = z.strictObject({
  memory: memorySize.optional(),
  cpus: z.number().min(0.01).max(1024).optional(),
  pids: positiveInt.optional(),
}).transform((r): Resources | undefined =>
  r.memory === undefined && r.cpus === undefined && r.pids === undefined ? undefined : {
    ...(r.memory !== undefined ? { memoryBytes: r.memory } : {}),
    ...(r.cpus !== undefined ? { cpus: r.cpus } : {}),
    ...(r.pids !== undefined ? { pids: r.pids } : {}),
  }
);

/** One service as written in a stack file. */
export const serviceSchema = z.strictObject({
  kind: z.enum(["oneshot", "service", "daemon"]).optional(),
  runtime: z.enum(["process", "docker"]).optional(),
  image: z.string().optional(),
  command: command.optional(),
  entrypoint: entrypointSchema.optional(),
  args: z.array(scalarString).optional(),
  workdir: z.string().optional(),
  env: table(scalarString).optional(),
  envFromFile: stringList.optional(),
  ports: z.array(port).optional(),
  volumes: z.array(z.string()).optional(),
  network: z.string().optional(),
  networks: serviceNetworksSchema.optional(),
  dependsOn: dependsOnSchema.optional(),
  health: healthSchema.optional(),
  update: z.strictObject({
    strategy: z.enum(["rolling", "recreate"]).optional(),
    maxUnavailable: count.optional(),
    maxSurge: count.optional(),
  }).optional(),
  replicas: count.optional(),
  restartPolicy: restartPolicySchema.optional(),
  stop: stopSchema.optional(),
  user: scalarString.optional(),
  group: scalarString.optional(),
  enabled: z.boolean().optional(),
  required: z.boolean().optional(),
  waitAfter: duration.optional(),
  successCodes: z.array(z.number().int().min(0).max(255)).optional(),
  preScript: hookSchema.optional(),
  postScript: hookSchema.optional(),
  logFile: z.string().optional(),
  tty: z.boolean().optional(),
  labels: table(scalarString).optional(),
  description: z.string().optional(),
  resources: resourcesSchema.optional(),
});

/** A whole stack file. */
export const stackFileSchema = z.strictObject({
  version: z.union([z.string(), z.number()]).transform((value, ctx) => {
    if (String(value) !== "0.1") {
      ctx.addIssue({
        code: "custom",
        message: `unsupported version ${quote(String(value), 20)} (this orch reads version 0.1)`,
      });
    }
    return String(value);
  }).optional(),
  stack: z.strictObject({
    name: z.string().optional(),
    workdir: z.string().optional(),
    shutdownTimeout: duration.optional(),
  }).optional(),
  defaults: z.strictObject({
    kind: z.enum(["oneshot", "service", "daemon"]).optional(),
    runtime: z.enum(["process", "docker"]).optional(),
    workdir: z.string().optional(),
    env: table(scalarString).optional(),
    user: scalarString.optional(),
    restartPolicy: restartPolicySchema.optional(),
    health: healthDefaultsSchema.optional(),
    stop: stopSchema.optional(),
    dependencyTimeout: duration.optional(),
    hookTimeout: duration.optional(),
    waitAfter: duration.optional(),
  }).optional(),
  services: table(z.preprocess((value) => value ?? {}, serviceSchema)).optional(),
  networks: stackNetworksSchema.optional(),
});

/** A stack file after parsing: durations in ms, commands and ports parsed. */
export type StackFile = z.output<typeof stackFileSchema>;
/** One parsed service entry. */
export type ServiceFile = z.output<typeof serviceSchema>;
