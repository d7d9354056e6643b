/**
 * The `[[services]]` TOML format (s6-overlay style, for containers): `[timeouts]` in seconds and per
 * service `name`, `command`, `args`, `enabled`, `required`, `depends_on`, `wait_after`, `user`,
 * `pre_script`, `pos_script` (or `post_script`), `log_file`. orch adds `[stack] name`, and per service
 * `kind`, `env`, `workdir`, `tty`, `restart` and `ready_cmd` (the same additions as orchestrate.toml).
 *
 * @module
 */
import { z } from "../kit/mod.ts";
import type { FieldPath } from "../source.ts";
import { nullTable } from "../table.ts";
import { duplicates, tomlAdditions, translateAdditions } from "./orchestrate_toml.ts";
import type { Translation } from "./translation.ts";

const seconds = z.number().min(0);

/** The format's own schema, validated before translation so errors use its field names. */
export const servicesTomlSchema = z.strictObject({
  stack: z.strictObject({ name: z.string().optional() }).optional(),
  timeouts: z.strictObject({
    post_script_timeout: seconds.optional(),
    service_shutdown_timeout: seconds.optional(),
    global_shutdown_timeout: seconds.optional(),
    dependency_wait_timeout: seconds.optional(),
  }).optional(),
  // A service that cannot be read at all is set to null by the loader, so the others keep their index.
  services: z.array(
    z.strictObject({
      name: z.string(),
      command: z.string().optional(),
      args: z.array(z.union([z.string(), z.number()])).optional(),
      enabled: z.boolean().optional(),
      required: z.boolean().optional(),
      depends_on: z.union([z.string(), z.array(z.string())]).optional(),
      wait_after: seconds.optional(),
      pre_script: z.string().optional(),
      pos_script: z.string().optional(),
      post_script: z.string().optional(),
      log_file: z.string().optional(),
      ...tomlAdditions,
    }).nullable(),
  ),
});

type ServicesToml = z.output<typeof servicesTomlSchema>;

const FIELD_NAMES = new Map([
  ["command", "command"],
  ["dependsOn", "depends_on"],
  ["enabled", "enabled"],
  ["required", "required"],
  ["waitAfter", "wait_after"],
  ["user", "user"],
  ["preScript", "pre_script"],
  ["logFile", "log_file"],
  ["kind", "kind"],
  ["env", "env"],
  ["workdir", "workdir"],
  ["restartPolicy", "restart"],
  ["tty", "tty"],
  ["health", "ready_cmd"],
]);

const SHELL_CHARS = /[\s|&;<>()$`\\"'*?[\]#~=%]/;

/** Translates a validated `[[services]]` file into the stack file shape. */
export function translateServicesToml(data: ServicesToml): Translation {
  const t = data.timeouts ?? {};
  const services = nullTable<unknown>();
  const index = new Map<string, number>();
  data.services.forEach((s, i) => {
    if (!s) return;
    index.set(s.name, i);
    const command = s.command === undefined
      ? undefined
      : s.args !== undefined
      ? [s.command, ...s.args.map(String)]
      : SHELL_CHARS.test(s.command.trim())
      ? s.command
      : [s.command];
    const post = s.pos_script ?? s.post_script;
    services[s.name] = {
      // A readiness command makes it a service: a daemon is ready at once, its probes are liveness.
      kind: s.kind ?? (s.ready_cmd !== undefined ? "service" : "daemon"),
      ...(command !== undefined ? { command } : {}),
      restartPolicy: { policy: s.restart ?? "never" },
      ...(s.enabled !== undefined ? { enabled: s.enabled } : {}),
      ...(s.required !== undefined ? { required: s.required } : {}),
      ...(s.depends_on !== undefined ? { dependsOn: s.depends_on } : {}),
      ...(s.wait_after !== undefined ? { waitAfter: s.wait_after } : {}),
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
      ...translateAdditions(s),
    };
  });
  const translate = (path: FieldPath): FieldPath => {
    if (path[0] !== "services" || typeof path[1] !== "string") {
      if (path[0] === "stack" && path[1] === "name") return ["stack", "name"];
      if (path[0] === "stack" || path[0] === "defaults") return ["timeouts"];
      return [];
    }
    const i = index.get(path[1]);
    if (i === undefined) return ["services"];
    const field = String(path[2] ?? "");
    const s = data.services[i]!;
    if (field === "postScript") {
      return ["services", i, s.pos_script !== undefined ? "pos_script" : "post_script"];
    }
    if (field === "command" && s.args !== undefined && path[3] !== undefined) {
      return ["services", i, "args", Number(path[3]) - 1];
    }
    const tomlField = FIELD_NAMES.get(field);
    if (!tomlField) return ["services", i];
    return field === "dependsOn" || field === "env"
      ? ["services", i, tomlField, ...path.slice(3, 4)]
      : ["services", i, tomlField];
  };
  const stack = {
    ...(data.stack?.name !== undefined ? { name: data.stack.name } : {}),
    ...(t.global_shutdown_timeout !== undefined
      ? { shutdownTimeout: t.global_shutdown_timeout }
      : {}),
  };
  return {
    stackFile: {
      version: "0.1",
      ...(Object.keys(stack).length > 0 ? { stack } : {}),
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
    duplicateNames: duplicates(
      data.services.flatMap((s, i) => (s ? [[s.name, ["services", i, "name"]]] : [])),
    ),
  };
}
