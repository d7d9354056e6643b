/**
 * Parts of the Compose service translation: dependencies (conditions, `required`, `restart`),
 * `deploy` (replicas, update and rollback) and networking (`networks`, `network_mode`).
 *
 * @module
 */
import type { FieldPath } from "../source.ts";
import type { PathMap } from "./foreign.ts";
import type { ComposeService } from "./compose_schema.ts";
import { type ComposeContext, isActive, type LoadedService } from "./compose_context.ts";

/** What the service translation hands its parts. */
export interface Helpers {
  readonly map: PathMap;
  readonly stack: (...rest: (string | number)[]) => FieldPath;
  readonly userPath: (key: string, ...rest: (string | number)[]) => FieldPath;
  readonly warn: (key: string, message: string, ...rest: (string | number)[]) => void;
}

/** Part of the service translation: dependencies. */
export function translateDependencies(
  svc: LoadedService,
  ctx: ComposeContext,
  out: Record<string, unknown>,
  h: Helpers,
): void {
  const deps = svc.data.depends_on;
  if (!deps) return;
  type Spec = { condition?: string; restart?: boolean; required?: boolean };
  const entries: (readonly [string, Spec, string | number])[] = Array.isArray(deps)
    ? deps.map((target, i) => [target, {}, i] as const)
    : Object.entries(deps).map(([target, spec]) => [target, spec, target] as const);
  const list: Record<string, unknown>[] = [];
  for (const [target, spec, key] of entries) {
    const other = ctx.all.get(target);
    const available = other !== undefined && isActive(other.data, ctx.profiles);
    if (spec.required === false && !available) {
      h.warn(
        "depends_on",
        `${target} is ${
          other ? "not in an active profile" : "not defined"
        } and not required: the dependency is dropped`,
        key,
      );
      continue;
    }
    const condition = spec.condition ?? "service_started";
    let require = condition === "service_started"
      ? "started"
      : condition === "service_healthy"
      ? "ready"
      : "completed";
    if (require === "ready" && ctx.oneshots.has(target)) {
      h.warn(
        "depends_on",
        `${target} runs to completion (another service waits for it to complete): waits for that`,
        key,
      );
      require = "completed";
    }
    if (require === "ready" && other && !other.data.healthcheck?.test) {
      h.warn(
        "depends_on",
        `service_healthy, but ${target} has no healthcheck test: it is ready once started`,
        key,
      );
    }
    if (require === "started" && ctx.oneshots.has(target)) require = "started";
    h.map.set(h.stack("dependsOn", list.length), h.userPath("depends_on", key));
    list.push({ target, require, ...(spec.restart ? { restart: true } : {}) });
  }
  out.dependsOn = list;
}

/** Part of the service translation: deploy. */
export function translateDeploy(d: ComposeService, out: Record<string, unknown>, h: Helpers): void {
  const deploy = d.deploy;
  if (!deploy) return;
  if (deploy.replicas !== undefined) {
    out.replicas = deploy.replicas;
    h.map.set(h.stack("replicas"), h.userPath("deploy", "replicas"));
  }
  if (deploy.mode === "global" || deploy.mode === "global-job") {
    h.warn("deploy", `mode ${deploy.mode}: orch runs one instance on this machine`, "mode");
  }
  const u = deploy.update_config;
  if (u) {
    const replicas = Math.max(1, deploy.replicas ?? 1);
    const batch = u.parallelism === 0 ? replicas : u.parallelism ?? 1;
    out.update = u.order === "start-first"
      ? { strategy: "rolling", maxUnavailable: 0, maxSurge: batch }
      : { strategy: "rolling", maxUnavailable: batch, maxSurge: 0 };
    h.map.set(h.stack("update"), h.userPath("deploy", "update_config"));
    for (const key of ["delay", "monitor", "max_failure_ratio"] as const) {
      if (u[key] !== undefined) {
        h.warn(
          "deploy",
          `${key} is not supported: orch replaces the next batch once the last is ready`,
          "update_config",
          key,
        );
      }
    }
    if (u.failure_action !== undefined && u.failure_action !== "rollback") {
      h.warn(
        "deploy",
        `failure_action ${u.failure_action}: orch rolls a failed update back`,
        "update_config",
        "failure_action",
      );
    }
  }
  for (
    const key of ["rollback_config", "resources", "placement", "labels", "endpoint_mode"] as const
  ) {
    if (deploy[key] !== undefined) {
      h.warn("deploy", `${key} is not supported on one machine: ignored`, key);
    }
  }
}

/** Part of the service translation: networking. */
export function translateNetworking(
  d: ComposeService,
  ctx: ComposeContext,
  out: Record<string, unknown>,
  h: Helpers,
): void {
  if (d.network_mode !== undefined) {
    if (/^(service|container):/.test(d.network_mode)) {
      h.warn(
        "network_mode",
        `${d.network_mode} is not supported: the service joins the default network`,
      );
      out.networks = { default: {} };
    } else {
      out.network = d.network_mode;
      h.map.set(h.stack("network"), h.userPath("network_mode"));
    }
    return;
  }
  const nets = d.networks === undefined
    ? { default: null }
    : Array.isArray(d.networks)
    ? Object.fromEntries(d.networks.map((n) => [n, null]))
    : d.networks;
  const networks: Record<string, unknown> = Object.create(null);
  for (const [key, spec] of Object.entries(nets)) {
    if (!ctx.networks.has(key) && key !== "default") {
      h.warn("networks", `network ${key} is not declared at the top level`, key);
    }
    const aliases = spec?.aliases;
    networks[key] = aliases ? { aliases } : {};
    const extra = Object.keys(spec ?? {}).filter((k) => k !== "aliases");
    if (extra.length > 0) h.warn("networks", `${extra.join(", ")} not supported: ignored`, key);
    h.map.set(
      h.stack("networks", key),
      d.networks ? h.userPath("networks", key) : h.userPath("image"),
    );
  }
  out.networks = networks;
}
