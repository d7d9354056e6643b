/**
 * process-compose's own schema: validated before translation so that errors name its keys.
 *
 * @module
 */
import { z } from "../kit/mod.ts";

/** A readiness or liveness probe. */
export const probeSchema = z.strictObject({
  exec: z.strictObject({ command: z.string(), working_dir: z.string().optional() }).optional(),
  http_get: z.strictObject({
    host: z.string().optional(),
    port: z.union([z.number(), z.string()]),
    path: z.string().optional(),
    scheme: z.enum(["http", "https"]).optional(),
    num_retries: z.number().optional(),
  }).optional(),
  initial_delay_seconds: z.number().min(0).optional(),
  period_seconds: z.number().min(0).optional(),
  timeout_seconds: z.number().min(0).optional(),
  success_threshold: z.number().int().min(1).optional(),
  failure_threshold: z.number().int().min(1).optional(),
});

/** One process. */
export const processSchema = z.strictObject({
  command: z.string().optional(),
  entrypoint: z.array(z.string()).optional(),
  working_dir: z.string().optional(),
  environment: z.array(z.string()).optional(),
  availability: z.strictObject({
    restart: z.enum(["no", "on_failure", "exit_on_failure", "always"]).optional(),
    backoff_seconds: z.number().min(0).optional(),
    max_restarts: z.number().int().min(0).optional(),
    exit_on_end: z.boolean().optional(),
    exit_on_skipped: z.boolean().optional(),
  }).optional(),
  depends_on: z.record(
    z.string(),
    z.strictObject({
      condition: z.enum([
        "process_started",
        "process_completed",
        "process_completed_successfully",
        "process_healthy",
        "process_log_ready",
      ]).optional(),
    }),
  ).optional(),
  readiness_probe: probeSchema.optional(),
  liveness_probe: probeSchema.optional(),
  ready_log_line: z.string().optional(),
  shutdown: z.strictObject({
    command: z.string().optional(),
    signal: z.union([z.number().int(), z.string()]).optional(),
    timeout_seconds: z.number().min(0).optional(),
    parent_only: z.boolean().optional(),
  }).optional(),
  replicas: z.number().int().min(0).optional(),
  disabled: z.boolean().optional(),
  is_daemon: z.boolean().optional(),
  namespace: z.string().optional(),
  is_tty: z.boolean().optional(),
  description: z.string().optional(),
  log_location: z.string().optional(),
  disable_ansi_colors: z.boolean().optional(),
  is_foreground: z.boolean().optional(),
  is_elevated: z.boolean().optional(),
  launch_timeout_seconds: z.number().optional(),
  vars: z.record(z.string(), z.unknown()).optional(),
});

/** The file's own schema. */
export const processComposeSchema = z.strictObject({
  version: z.union([z.string(), z.number()]).optional(),
  log_location: z.string().optional(),
  log_level: z.string().optional(),
  log_length: z.number().optional(),
  log_configuration: z.record(z.string(), z.unknown()).optional(),
  is_strict: z.boolean().optional(),
  disable_env_expansion: z.boolean().optional(),
  is_tui_disabled: z.boolean().optional(),
  ordered_shutdown: z.boolean().optional(),
  shell: z.strictObject({
    shell_command: z.string().optional(),
    shell_argument: z.string().optional(),
    elevated_shell_command: z.string().optional(),
    elevated_shell_argument: z.string().optional(),
  }).optional(),
  environment: z.array(z.string()).optional(),
  env_cmds: z.record(z.string(), z.string()).optional(),
  vars: z.record(z.string(), z.unknown()).optional(),
  processes: z.record(z.string(), z.preprocess((v) => v ?? {}, processSchema)),
});
