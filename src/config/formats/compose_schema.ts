/**
 * The Compose file's own schema (the Compose Specification's keys), validated before translation so
 * that errors name the user's keys. Keys orch maps are typed; keys orch cannot map are accepted as
 * any value and reported as warnings by the translation (see {@link UNMAPPED_SERVICE_KEYS}).
 *
 * @module
 */
import { z } from "../kit/mod.ts";

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const stringOrList = z.union([z.string(), z.array(z.string())]);
const commandSchema = z.union([z.string(), z.array(scalar), z.null()]);
const mapOrList = z.union([
  z.array(z.string()),
  z.record(z.string(), z.union([scalar, z.null()])),
]);
const duration = z.union([z.string(), z.number()]);

const portSchema = z.union([
  z.string(),
  z.number(),
  z.strictObject({
    target: z.union([z.number(), z.string()]),
    published: z.union([z.number(), z.string()]).optional(),
    host_ip: z.string().optional(),
    protocol: z.enum(["tcp", "udp"]).optional(),
    mode: z.enum(["host", "ingress"]).optional(),
    name: z.string().optional(),
    app_protocol: z.string().optional(),
  }),
]);

const volumeSchema = z.union([
  z.string(),
  z.strictObject({
    type: z.enum(["bind", "volume", "tmpfs", "npipe", "cluster", "image"]),
    source: z.string().optional(),
    target: z.string(),
    read_only: z.boolean().optional(),
    consistency: z.string().optional(),
    bind: z.record(z.string(), z.unknown()).optional(),
    volume: z.record(z.string(), z.unknown()).optional(),
    tmpfs: z.record(z.string(), z.unknown()).optional(),
    image: z.record(z.string(), z.unknown()).optional(),
  }),
]);

const dependsOnSchema = z.union([
  z.array(z.string()),
  z.record(
    z.string(),
    z.strictObject({
      condition: z.enum(["service_started", "service_healthy", "service_completed_successfully"])
        .optional(),
      restart: z.boolean().optional(),
      required: z.boolean().optional(),
    }),
  ),
]);

const healthcheckSchema = z.strictObject({
  test: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
  interval: duration.optional(),
  timeout: duration.optional(),
  retries: z.number().int().min(0).optional(),
  start_period: duration.optional(),
  start_interval: duration.optional(),
  disable: z.boolean().optional(),
});

const deploySchema = z.strictObject({
  mode: z.string().optional(),
  replicas: z.number().int().min(0).optional(),
  restart_policy: z.strictObject({
    condition: z.enum(["none", "on-failure", "any"]).optional(),
    delay: duration.optional(),
    max_attempts: z.number().int().min(0).optional(),
    window: duration.optional(),
  }).optional(),
  update_config: z.strictObject({
    parallelism: z.number().int().min(0).optional(),
    delay: duration.optional(),
    failure_action: z.enum(["continue", "rollback", "pause"]).optional(),
    monitor: duration.optional(),
    max_failure_ratio: z.number().optional(),
    order: z.enum(["start-first", "stop-first"]).optional(),
  }).optional(),
  rollback_config: z.record(z.string(), z.unknown()).optional(),
  resources: z.record(z.string(), z.unknown()).optional(),
  placement: z.record(z.string(), z.unknown()).optional(),
  labels: mapOrList.optional(),
  endpoint_mode: z.string().optional(),
});

/** Service keys of the Compose Specification that orch cannot map, with what it does instead. */
export const UNMAPPED_SERVICE_KEYS: Readonly<Record<string, string>> = {
  annotations: "ignored",
  attach: "ignored (orch always collects the output)",
  blkio_config: "ignored (orch sets no resource limits)",
  cap_add: "ignored (the container keeps the default capabilities)",
  cap_drop: "ignored (the container keeps the default capabilities)",
  cgroup: "ignored",
  cgroup_parent: "ignored",
  configs: "ignored (mount the file with volumes instead)",
  container_name: "ignored (orch names containers STACK_SERVICE_REPLICA_ID)",
  cpu_count: "ignored (orch sets no resource limits)",
  cpu_percent: "ignored (orch sets no resource limits)",
  cpu_shares: "ignored (orch sets no resource limits)",
  cpu_period: "ignored (orch sets no resource limits)",
  cpu_quota: "ignored (orch sets no resource limits)",
  cpu_rt_runtime: "ignored (orch sets no resource limits)",
  cpu_rt_period: "ignored (orch sets no resource limits)",
  cpus: "ignored (orch sets no resource limits)",
  cpuset: "ignored (orch sets no resource limits)",
  credential_spec: "ignored",
  develop: "ignored (orch has no watch mode)",
  device_cgroup_rules: "ignored",
  devices: "ignored (no devices are mapped)",
  dns: "ignored (the engine's DNS settings apply)",
  dns_opt: "ignored (the engine's DNS settings apply)",
  dns_search: "ignored (the engine's DNS settings apply)",
  domainname: "ignored",
  driver_opts: "ignored",
  expose: "ignored (containers on a shared network reach every port of each other)",
  external_links: "ignored (use networks)",
  extra_hosts: "ignored (no /etc/hosts entries are added)",
  gpus: "ignored (no GPUs are attached)",
  group_add: "ignored",
  hostname: "ignored (the container's hostname is its id; other services reach it by name)",
  init: "orch always runs containers with an init process",
  ipc: "ignored",
  isolation: "ignored",
  links: "ignored (services on a shared network reach each other by name)",
  logging: "ignored (orch collects the output itself)",
  mac_address: "ignored",
  mem_limit: "ignored (orch sets no resource limits)",
  mem_reservation: "ignored (orch sets no resource limits)",
  mem_swappiness: "ignored (orch sets no resource limits)",
  memswap_limit: "ignored (orch sets no resource limits)",
  oom_kill_disable: "ignored",
  oom_score_adj: "ignored",
  pid: "ignored",
  pids_limit: "ignored (orch sets no resource limits)",
  platform: "ignored (the engine's platform is used)",
  post_start: "ignored (use a preScript on the host instead)",
  pre_stop: "ignored (orch stops with the stop signal)",
  privileged: "ignored (the container is not privileged)",
  pull_policy: "orch pulls an image only when it is missing",
  read_only: "ignored (the root filesystem stays writable)",
  runtime: "ignored (the engine's default runtime is used)",
  scale: "use deploy.replicas",
  secrets: "ignored (mount the file with volumes, or use env_file)",
  security_opt: "ignored",
  shm_size: "ignored",
  stdin_open: "orch always opens stdin (for `orch send`)",
  storage_opt: "ignored",
  sysctls: "ignored",
  tmpfs: "ignored (no tmpfs is mounted)",
  ulimits: "ignored (the engine's limits apply)",
  userns_mode: "ignored",
  uts: "ignored",
  volumes_from: "ignored (declare the volumes on this service)",
};

/** One service as Compose writes it. */
export const composeServiceSchema = z.strictObject({
  image: z.string().optional(),
  build: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  command: commandSchema.optional(),
  entrypoint: commandSchema.optional(),
  environment: mapOrList.optional(),
  env_file: z.union([
    z.string(),
    z.array(z.union([
      z.string(),
      z.strictObject({
        path: z.string(),
        required: z.boolean().optional(),
        format: z.string().optional(),
      }),
    ])),
  ]).optional(),
  ports: z.array(portSchema).optional(),
  volumes: z.array(volumeSchema).optional(),
  depends_on: dependsOnSchema.optional(),
  healthcheck: healthcheckSchema.optional(),
  restart: z.string().regex(
    /^(no|always|unless-stopped|on-failure(:\d+)?)$/,
    'expected "no", "always", "on-failure[:N]" or "unless-stopped"',
  ).optional(),
  deploy: deploySchema.optional(),
  profiles: z.array(z.string()).optional(),
  networks: z.union([
    z.array(z.string()),
    z.record(
      z.string(),
      z.union([
        z.null(),
        z.looseObject({ aliases: z.array(z.string()).optional() }),
      ]),
    ),
  ]).optional(),
  network_mode: z.string().optional(),
  working_dir: z.string().optional(),
  user: z.union([z.string(), z.number()]).optional(),
  stop_signal: z.string().optional(),
  stop_grace_period: duration.optional(),
  labels: mapOrList.optional(),
  extends: z.union([
    z.string(),
    z.strictObject({ service: z.string(), file: z.string().optional() }),
  ]).optional(),
  tty: z.boolean().optional(),
  ...Object.fromEntries(Object.keys(UNMAPPED_SERVICE_KEYS).map((k) => [k, z.unknown().optional()])),
});

/** A whole Compose file. */
export const composeFileSchema = z.strictObject({
  version: z.union([z.string(), z.number()]).optional(),
  name: z.string().regex(
    /^[a-z0-9][a-z0-9_-]*$/,
    "a project name is lowercase letters, digits, dashes and underscores",
  ).optional(),
  include: z.array(z.union([
    z.string(),
    z.strictObject({
      path: stringOrList,
      project_directory: z.string().optional(),
      env_file: stringOrList.optional(),
    }),
  ])).optional(),
  services: z.record(z.string(), z.preprocess((v) => v ?? {}, composeServiceSchema)).optional(),
  networks: z.record(
    z.string(),
    z.preprocess(
      (v) => v ?? {},
      z.looseObject({
        name: z.string().optional(),
        driver: z.string().optional(),
        external: z.union([z.boolean(), z.record(z.string(), z.unknown())]).optional(),
        internal: z.boolean().optional(),
        attachable: z.boolean().optional(),
        labels: mapOrList.optional(),
      }),
    ),
  ).optional(),
  volumes: z.record(
    z.string(),
    z.preprocess(
      (v) => v ?? {},
      z.looseObject({
        name: z.string().optional(),
        external: z.union([z.boolean(), z.record(z.string(), z.unknown())]).optional(),
        driver: z.string().optional(),
      }),
    ),
  ).optional(),
  secrets: z.record(z.string(), z.unknown()).optional(),
  configs: z.record(z.string(), z.unknown()).optional(),
});

/** A parsed Compose file. */
export type ComposeFile = z.output<typeof composeFileSchema>;
/** A parsed Compose service. */
export type ComposeService = z.output<typeof composeServiceSchema>;
