/**
 * The Compose translation: one loaded Compose project (its files merged, `extends` resolved) onto
 * orch's stack file shape, with a path map back to the user's keys and a warning for everything
 * that cannot be mapped. Loading, merging and `include` are in `compose_files.ts`.
 *
 * @module
 */
import type { ConfigIssue } from "../../domain/mod.ts";
import {
  issueAt,
  literalDollars,
  orchDuration,
  parseGoDuration,
  type PathMap,
  relativePath,
  resolveFrom,
  shellWords,
} from "./foreign.ts";
import { type ComposeService, UNMAPPED_SERVICE_KEYS } from "./compose_schema.ts";
import {
  type ComposeContext,
  isActive,
  type LoadedService,
  type Origin,
} from "./compose_context.ts";
import { translateDependencies, translateDeploy, translateNetworking } from "./compose_service.ts";
import {
  translateHealthcheck,
  translatePort,
  translateRestart,
  translateRestartPolicy,
  translateVolume,
} from "./compose_parts.ts";

function toMap(value: ComposeService["environment"]): Record<string, string | null> {
  const out: Record<string, string | null> = Object.create(null);
  if (Array.isArray(value)) {
    for (const item of value) {
      const eq = item.indexOf("=");
      if (eq < 0) out[item] = null;
      else out[item.slice(0, eq)] = item.slice(eq + 1);
    }
  } else if (value) {
    for (const [k, v] of Object.entries(value)) out[k] = v === null ? null : String(v);
  }
  return out;
}

function commandOf(value: ComposeService["command"]): string[] | undefined | "bad" {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) return value.map(String);
  return shellWords(value) ?? "bad";
}

/** Translates one service; returns the stack file entry. */
export function translateComposeService(
  svc: LoadedService,
  ctx: ComposeContext,
  map: PathMap,
  report: { warn: (issue: ConfigIssue) => void; error: (issue: ConfigIssue) => void },
): Record<string, unknown> {
  const d = svc.data;
  const name = svc.name;
  const at = (key: string): Origin =>
    svc.origins.get(key) ?? { ...svc.home, path: [...svc.home.path, key] };
  const userPath = (key: string, ...rest: (string | number)[]) => [...at(key).path, ...rest];
  const warn = (key: string, message: string, ...rest: (string | number)[]) => {
    const o = at(key);
    report.warn(issueAt(o.file, o.locate, [...o.path, ...rest], message));
  };
  const error = (key: string, message: string, hint?: string, ...rest: (string | number)[]) => {
    const o = at(key);
    report.error(issueAt(o.file, o.locate, [...o.path, ...rest], message, hint));
  };
  const stack = (...rest: (string | number)[]) => ["services", name, ...rest];
  const record = (field: string, key: string, options?: { descend?: boolean }) =>
    map.set(stack(field), userPath(key), options);
  map.set(stack(), svc.home.path);
  const out: Record<string, unknown> = {};
  const oneshot = ctx.oneshots.has(name) || d.deploy?.mode === "replicated-job" ||
    d.deploy?.mode === "global-job";
  out.kind = oneshot ? "oneshot" : "service";

  if (d.image !== undefined) {
    out.image = d.image;
    record("image", "image");
    if (d.build !== undefined) warn("build", `orch does not build images: it runs ${d.image}`);
  } else if (d.build !== undefined) {
    out.image = `${ctx.project}-${name}`;
    record("image", "build");
    warn(
      "build",
      `orch does not build images: it runs ${out.image} (build it first, e.g. docker compose build)`,
    );
  } else {
    // The model's check reports it ("image: is required for a docker service"), located here.
    record("image", "image");
  }
  out.runtime = "docker";

  for (const [key, field] of [["command", "command"], ["entrypoint", "entrypoint"]] as const) {
    const words = commandOf(d[key]);
    if (words === "bad") error(key, "has an unclosed quote");
    else if (words !== undefined && (words.length > 0 || key === "entrypoint")) {
      if (key === "command" && words.length === 0) continue;
      out[field] = words.map(literalDollars);
      record(field, key, { descend: true });
    }
  }

  const env = toMap(d.environment);
  if (Object.keys(env).length > 0) {
    const resolved: Record<string, string> = Object.create(null);
    for (const [k, v] of Object.entries(env)) {
      const value = v ?? ctx.lookup(k);
      if (value !== undefined) resolved[k] = literalDollars(value);
    }
    out.env = resolved;
    record("env", "environment", { descend: !Array.isArray(d.environment) });
  }

  if (d.env_file !== undefined) {
    const entries = typeof d.env_file === "string" ? [d.env_file] : d.env_file;
    const files: string[] = [];
    entries.forEach((entry, i) => {
      const spec = typeof entry === "string" ? { path: entry, required: true } : entry;
      const absolute = resolveFrom(svc.dir, spec.path);
      const where = typeof d.env_file === "string" ? [] : [i];
      if (typeof entry === "object" && entry.format !== undefined) {
        warn(
          "env_file",
          `format ${entry.format} is not supported: read as KEY=value lines`,
          ...where,
        );
      }
      if (!ctx.existing.has(absolute)) {
        if (spec.required ?? true) {
          error("env_file", `env file ${absolute} not found`, undefined, ...where);
        }
        return;
      }
      files.push(relativePath(ctx.stackDir, absolute));
    });
    if (files.length > 0) {
      out.envFromFile = files;
      record("envFromFile", "env_file");
    }
  }

  if (d.ports) {
    const ports: string[] = [];
    d.ports.forEach((entry, i) => {
      const part = translatePort(entry);
      for (const w of part.warnings) warn("ports", w, i);
      for (const p of part.value ?? []) {
        map.set(stack("ports", ports.length), userPath("ports", i));
        ports.push(p);
      }
    });
    out.ports = ports;
  }

  if (d.volumes) {
    const volumes: string[] = [];
    d.volumes.forEach((entry, i) => {
      const part = translateVolume(
        entry,
        ctx.volumes,
        (p) => p.startsWith("~") ? p : relativePath(ctx.stackDir, resolveFrom(svc.dir, p)),
      );
      for (const w of part.warnings) warn("volumes", w, i);
      if (part.undefinedVolume) {
        error(
          "volumes",
          `refers to undefined volume ${part.undefinedVolume}`,
          "declare it under the top-level volumes",
          i,
        );
      }
      if (part.value !== undefined) {
        map.set(stack("volumes", volumes.length), userPath("volumes", i));
        volumes.push(part.value);
      }
    });
    out.volumes = volumes;
  }

  translateDependencies(svc, ctx, out, { map, stack, userPath, warn });

  if (d.healthcheck) {
    const part = translateHealthcheck(d.healthcheck);
    for (const w of part.warnings) warn("healthcheck", w);
    if (part.error) error("healthcheck", part.error, undefined, "test");
    if (part.value && oneshot) {
      warn("healthcheck", "a service that runs to completion has no readiness: not probed");
    } else if (part.value) {
      out.health = part.value;
      record("health", "healthcheck");
    }
  }

  let restart = translateRestart(d.restart);
  if (d.restart !== undefined) record("restartPolicy", "restart");
  if (d.deploy?.restart_policy) {
    if (d.restart !== undefined) {
      warn(
        "deploy",
        "restart is set, and Compose uses it outside a swarm: ignored",
        "restart_policy",
      );
    } else {
      restart = translateRestartPolicy(d.deploy.restart_policy);
      map.set(stack("restartPolicy"), [...userPath("deploy"), "restart_policy"]);
    }
  }
  if (oneshot && restart.policy === "always") {
    warn(
      d.restart !== undefined ? "restart" : "deploy",
      "a service that must complete is not restarted after success: on-failure",
    );
    restart = { ...restart, policy: "on-failure" };
  }
  out.restartPolicy = restart;
  translateDeploy(d, out, { map, stack, userPath, warn });

  if (!isActive(d, ctx.profiles)) {
    out.enabled = false;
    record("enabled", "profiles");
  }

  translateNetworking(d, ctx, out, { map, stack, userPath, warn });
  if (d.working_dir !== undefined) {
    out.workdir = d.working_dir;
    record("workdir", "working_dir");
  }
  if (d.user !== undefined) {
    out.user = String(d.user);
    record("user", "user");
  }
  const stop: Record<string, unknown> = {};
  if (d.stop_signal !== undefined) {
    stop.signal = d.stop_signal;
    map.set(stack("stop", "signal"), userPath("stop_signal"));
  }
  if (d.stop_grace_period !== undefined) {
    const ms = parseGoDuration(d.stop_grace_period);
    if (ms === undefined) error("stop_grace_period", `"${d.stop_grace_period}" is not a duration`);
    else stop.timeout = orchDuration(ms);
    map.set(stack("stop", "timeout"), userPath("stop_grace_period"));
  }
  if (Object.keys(stop).length > 0) out.stop = stop;
  if (d.labels !== undefined) {
    const labels = toMap(d.labels);
    out.labels = Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, v ?? ""]));
    record("labels", "labels", { descend: !Array.isArray(d.labels) });
  }
  if (d.tty !== undefined) {
    out.tty = d.tty;
    record("tty", "tty");
  }
  for (const [key, instead] of Object.entries(UNMAPPED_SERVICE_KEYS)) {
    const value = (d as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (key === "init" && value === true) continue;
    if (key === "stdin_open" && value === true) continue;
    if (key === "pull_policy" && ["missing", "if_not_present"].includes(String(value))) continue;
    warn(key, `${key} is not supported by orch: ${instead}`);
  }
  return out;
}
