/**
 * Stack -> a Compose file that `docker compose` and `docker stack deploy` accept: container
 * services with their image, command, environment, ports, volumes, networks, dependencies (long
 * form), probes as health checks, restart policy, and replicas, update and restart policy under
 * `deploy`. Process services (no image) are left out and reported.
 *
 * @module
 */
import { argvOf, type Service, type Stack } from "../domain/mod.ts";
import { exportable, type Exported, literal, Notes, portsOf } from "./notes.ts";
import { dockerHealth, goDuration } from "./healthcheck.ts";

/** Options of the Compose export. */
export interface ComposeExportOptions {
  /** Directory the Compose file will be in: host paths are written relative to it. */
  readonly baseDir?: string;
  /**
   * For `docker stack deploy`, whose schema takes `depends_on` only as a list (it ignores it
   * anyway): the conditions are left out.
   */
  readonly swarm?: boolean;
}

function relative(from: string, to: string): string {
  const a = from.split("/").filter(Boolean);
  const b = to.split("/").filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const rest = [...a.slice(i).map(() => ".."), ...b.slice(i)].join("/");
  return rest === "" ? "." : rest.startsWith("..") ? rest : `./${rest}`;
}

/** Compose interpolates every `$`: a literal one is written `$$`. */
function escape(text: string): string {
  return text.replaceAll("$", "$$$$");
}

/** The Compose project name: lowercase letters, digits, `-` and `_`. */
export function composeName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, "").replace(/^[^a-z0-9]+/, "") || "orch";
}

function restartOf(svc: Service): string {
  const r = svc.restart;
  if (r.mode === "never") return "no";
  if (r.mode === "always") return "always";
  return Number.isFinite(r.maxRetries) ? `on-failure:${r.maxRetries}` : "on-failure";
}

/** Exports the stack as a Compose file (as data; the CLI writes it as YAML). */
export function exportCompose(
  stack: Stack,
  options: ComposeExportOptions = {},
): Exported<Record<string, unknown>> {
  const notes = new Notes();
  const base = options.baseDir ?? stack.workdir;
  const services: Record<string, unknown> = {};
  const volumes: Record<string, unknown> = {};
  const included = new Set(Object.values(stack.services).filter(exportable).map((s) => s.name));
  const healthy = new Set<string>();
  for (const svc of Object.values(stack.services)) {
    const note = notes.for(svc.name);
    if (!included.has(svc.name)) {
      note("a process service without an image: not exported (it runs on the host)");
      continue;
    }
    const text = (s: string) => escape(literal(s, svc, stack, note));
    const out: Record<string, unknown> = { image: svc.image };
    if (svc.command) out.command = argvOf(svc.command).map(text);
    if (svc.entrypoint) out.entrypoint = svc.entrypoint.map(text);
    if (Object.keys(svc.env).length > 0) {
      out.environment = Object.fromEntries(Object.entries(svc.env).map(([k, v]) => [k, text(v)]));
    }
    if (svc.envFiles.length > 0) out.env_file = svc.envFiles.map((f) => relative(base, f));
    if (portsOf(svc, note).length > 0) {
      out.ports = portsOf(svc, note).map((p) => {
        const proto = p.protocol === "udp" ? "/udp" : "";
        if (p.hostIp) return `${p.hostIp}:${p.hostPort ?? ""}:${p.containerPort}${proto}`;
        if (p.hostPort !== undefined) return `${p.hostPort}:${p.containerPort}${proto}`;
        return `${p.containerPort}${proto}`;
      });
    }
    if (svc.volumes.length > 0) {
      out.volumes = svc.volumes.map((v) => {
        const [source, ...rest] = v.split(":");
        if (rest.length === 0) return v;
        if (source.startsWith("/")) return [relative(base, source), ...rest].join(":");
        volumes[source] = { name: source };
        return v;
      });
    }
    if (svc.network) out.network_mode = svc.network;
    if (svc.networks && svc.networks.length > 0) {
      out.networks = Object.fromEntries(svc.networks.map((n) => {
        const aliases = n.aliases.filter((a) => a !== svc.name);
        return [n.network, aliases.length > 0 ? { aliases } : {}];
      }));
    }
    const health = dockerHealth(svc, stack, note);
    if (health) {
      healthy.add(svc.name);
      out.healthcheck = {
        test: health.test.map(escape),
        interval: goDuration(health.intervalMs),
        timeout: goDuration(health.timeoutMs),
        retries: health.retries,
        start_period: goDuration(health.startPeriodMs),
      };
    }
    out.restart = restartOf(svc);
    const u = svc.update;
    const surge = u.strategy === "rolling" && u.maxSurge > 0;
    const batch = u.strategy === "recreate" ? svc.replicas : surge ? u.maxSurge : u.maxUnavailable;
    const r = svc.restart;
    out.deploy = {
      replicas: svc.replicas,
      ...(svc.kind === "oneshot" ? {} : {
        update_config: {
          parallelism: Math.max(1, batch),
          order: surge ? "start-first" : "stop-first",
          failure_action: "rollback",
        },
        rollback_config: {
          parallelism: Math.max(1, batch),
          order: surge ? "start-first" : "stop-first",
        },
      }),
      restart_policy: {
        condition: r.mode === "never" ? "none" : r.mode === "always" ? "any" : "on-failure",
        ...(r.mode !== "never" ? { delay: goDuration(r.backoff.minMs) } : {}),
        // Docker itself limits retries only with on-failure (a swarm limits any condition).
        ...(Number.isFinite(r.maxRetries) &&
            (r.mode === "on-failure" || (options.swarm && r.mode === "always"))
          ? { max_attempts: r.maxRetries }
          : {}),
        ...(r.mode !== "never" ? { window: goDuration(r.stableMs) } : {}),
      },
    };
    if (r.mode === "always" && Number.isFinite(r.maxRetries) && !options.swarm) {
      note(
        `restart always: Docker restarts without a limit (maxRetries ${r.maxRetries} is not kept)`,
      );
    }
    if (r.mode !== "never" && r.backoff.factor > 1) {
      note(`restarts wait ${goDuration(r.backoff.minMs)} each time (no exponential backoff)`);
    }
    if (svc.stop.signal !== "SIGTERM") out.stop_signal = svc.stop.signal;
    out.stop_grace_period = goDuration(svc.stop.timeoutMs);
    if (Object.keys(svc.labels).length > 0) out.labels = { ...svc.labels };
    if (svc.workdir !== stack.workdir) out.working_dir = svc.workdir;
    if (svc.user) out.user = svc.group ? `${svc.user}:${svc.group}` : svc.user;
    if (svc.tty) out.tty = true;
    out.stdin_open = true;
    out.init = true;
    if (!svc.enabled) out.profiles = ["disabled"];
    if (svc.preScript || svc.postScript) {
      note("preScript and postScript run on the host: not exported");
    }
    if (svc.logFile) note("logFile: use `docker compose logs`");
    if (svc.waitAfterMs > 0) note("waitAfter has no Compose equivalent");
    if (svc.successCodes.some((c) => c !== 0)) {
      note("successCodes other than 0 have no Compose equivalent");
    }
    if (svc.required) note("required: Compose does not stop the project when this service fails");
    services[svc.name] = out;
  }
  // Dependencies, once every service's health check is known.
  for (const svc of Object.values(stack.services)) {
    const out = services[svc.name] as Record<string, unknown> | undefined;
    if (!out) continue;
    const note = notes.for(svc.name);
    const deps: Record<string, unknown> = {};
    for (const d of svc.dependsOn) {
      if (!included.has(d.target)) {
        note(`depends on ${d.target}, which is not exported: the dependency is dropped`);
        continue;
      }
      let condition = d.require === "completed"
        ? "service_completed_successfully"
        : d.require === "ready"
        ? "service_healthy"
        : "service_started";
      if (condition === "service_healthy" && !healthy.has(d.target)) condition = "service_started";
      if (d.timeoutMs !== undefined) {
        note(`the ${d.target} dependency's timeout has no Compose equivalent`);
      }
      deps[d.target] = { condition, ...(d.restart ? { restart: true } : {}) };
    }
    if (Object.keys(deps).length > 0) out.depends_on = options.swarm ? Object.keys(deps) : deps;
  }
  const networks: Record<string, unknown> = {};
  for (const [key, n] of Object.entries(stack.networks ?? {})) {
    networks[key] = {
      name: n.name,
      ...(n.driver ? { driver: n.driver } : {}),
      ...(n.external ? { external: true } : {}),
      ...(n.internal ? { internal: true } : {}),
      ...(Object.keys(n.labels).length > 0 ? { labels: { ...n.labels } } : {}),
    };
  }
  return {
    document: {
      services,
      ...(Object.keys(networks).length > 0 ? { networks } : {}),
      ...(Object.keys(volumes).length > 0 ? { volumes } : {}),
    },
    notes: notes.all,
  };
}
