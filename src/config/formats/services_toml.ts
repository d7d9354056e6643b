/**
 * The `[[services]]` TOML format (s6-overlay style, for containers): `[timeouts]` in seconds and per
 * service `name`, `command`, `args`, `enabled`, `required`, `depends_on`, `wait_after`, `user`,
 * `pre_script`, `pos_script` (or `post_script`), `log_file`; orch also reads `kind`, `env`, `workdir`
 * and `restart` here.
 *
 * @module
 */
import { z } from "zod";
import type { FieldPath } from "../source.ts";
import { duplicates } from "./orchestrate_toml.ts";
import type { Translation } from "./mod.ts";

const seconds = z.number().min(0);

/** The format's own schema, validated before translation so errors use its field names. */
export const servicesTomlSchema = z.strictObject({
  timeouts: z.strictObject({
    post_script_timeout: seconds.optional(),
    service_shutdown_timeout: seconds.optional(),
    global_shutdown_timeout: seconds.optional(),
    dependency_wait_timeout: seconds.optional(),
  }).optional(),
  services: z.array(z.strictObject({
    name: z.string(),
    command: z.string(),
    args: z.array(z.union([z.string(), z.number()])).optional(),
    enabled: z.boolean().optional(),
    required: z.boolean().optional(),
    depends_on: z.union([z.string(), z.array(z.string())]).optional(),
    wait_after: seconds.optional(),
    user: z.union([z.string(), z.number()]).optional(),
    pre_script: z.string().optional(),
    pos_script: z.string().optional(),
    post_script: z.string().optional(),
    log_file: z.string().optional(),
    kind: z.enum(["oneshot", "service", "daemon"]).optional(),
    env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    workdir: z.string().optional(),
    restart: z.enum(["always", "on-failure", "never"]).optional(),
  })),
});

type ServicesToml = z.output<typeof servicesTomlSchema>;

const FIELD_NAMES: Record<string, string> = {
  command: "command",
  dependsOn: "depends_on",
  enabled: "enabled",
  required: "required",
  waitAfter: "wait_after",
  user: "user",
  preScript: "pre_script",
  logFile: "log_file",
  kind: "kind",
  env: "env",
  workdir: "workdir",
  restartPolicy: "restart",
};

const SHELL_CHARS = /[\s|&;<>()$`\\"'*?[\]#~=%]/;

/** Translates a validated `[[services]]` file into the stack file shape. */
export function translateServicesToml(data: ServicesToml): Translation {
  const t = data.timeouts ?? {};
  const services: Record<string, unknown> = {};
  const index = new Map<string, number>();
  data.services.forEach((s, i) => {
    index.set(s.name, i);
    const command = s.args !== undefined
      ? [s.command, ...s.args.map(String)]
      : SHELL_CHARS.test(s.command.trim())
      ? s.command
      : [s.command];
    const post = s.pos_script ?? s.post_script;
    services[s.name] = {
      kind: s.kind ?? "daemon",
      command,
      restartPolicy: { policy: s.restart ?? "never" },
      ...(s.enabled !== undefined ? { enabled: s.enabled } : {}),
      ...(s.required !== undefined ? { required: s.required } : {}),
      ...(s.depends_on !== undefined ? { dependsOn: s.depends_on } : {}),
      ...(s.wait_after !== undefined ? { waitAfter: s.wait_after } : {}),
      ...(s.user !== undefined ? { user: s.user } : {}),
      ...(s.pre_script !== undefined ? { preScript: s.pre_script } : {}),
      ...(post !== undefined
        ? {
          postScript: {
            command: post,
            ...(t.post_script_timeout !== undefined ? { timeout: t.post_script_timeout } : {}),
          },
        }
        : {}),
      ...(s.log_file !== undefined ? { logFile: s.log_file } : {}),
      ...(s.env !== undefined ? { env: s.env } : {}),
      ...(s.workdir !== undefined ? { workdir: s.workdir } : {}),
    };
  });
  const translate = (path: FieldPath): FieldPath => {
    if (path[0] !== "services" || typeof path[1] !== "string") {
      if (path[0] === "stack" || path[0] === "defaults") return ["timeouts"];
      return [];
    }
    const i = index.get(path[1]);
    if (i === undefined) return ["services"];
    const field = String(path[2] ?? "");
    if (field === "postScript") {
      const s = data.services[i];
      return ["services", i, s.pos_script !== undefined ? "pos_script" : "post_script"];
    }
    if (field === "command" && data.services[i].args !== undefined && path[3] !== undefined) {
      return ["services", i, "args", Number(path[3]) - 1];
    }
    const tomlField = FIELD_NAMES[field];
    if (!tomlField) return ["services", i];
    return field === "dependsOn"
      ? ["services", i, tomlField, ...path.slice(3, 4)]
      : ["services", i, tomlField];
  };
  return {
    stackFile: {
      version: "0.1",
      ...(t.global_shutdown_timeout !== undefined
        ? { stack: { shutdownTimeout: t.global_shutdown_timeout } }
        : {}),
      defaults: {
        ...(t.service_shutdown_timeout !== undefined
          ? { stop: { timeout: t.service_shutdown_timeout } }
          : {}),
        ...(t.dependency_wait_timeout !== undefined
          ? { dependencyTimeout: t.dependency_wait_timeout }
          : {}),
        ...(t.post_script_timeout !== undefined ? { hookTimeout: t.post_script_timeout } : {}),
      },
      services,
    },
    translate,
    duplicateNames: duplicates(data.services.map((s, i) => [s.name, ["services", i, "name"]])),
  };
}
