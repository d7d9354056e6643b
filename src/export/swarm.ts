/**
 * Stack -> Docker Swarm service specs (Engine API bodies) for `orch deploy --swarm`: replicated
 * services and, for oneshots, replicated jobs; health checks from orch's probes; restart, update
 * and rollback config; overlay networks with the service names as aliases; labels that let
 * `status --swarm`, `down --swarm` and `docker stack` find them. Pure: the caller reads env files
 * and resolves images.
 *
 * @module
 */
import { argvOf, layerEnv, type Service, type Stack } from "../domain/mod.ts";
import { dockerHealth } from "./healthcheck.ts";
import { exportable, type Exported, literal, Notes, portsOf } from "./notes.ts";
import { composeName } from "./compose.ts";

/** Labels on what orch deploys to a swarm. */
export const SWARM_LABEL = {
  namespace: "com.docker.stack.namespace",
  stack: "orch.stack",
  service: "orch.service",
  dependsOn: "orch.depends-on",
} as const;

/** One service to deploy, and what it waits for. */
export interface SwarmService {
  readonly service: string;
  /** The swarm service's name: NAMESPACE_SERVICE. */
  readonly name: string;
  readonly job: boolean;
  readonly replicas: number;
  readonly dependsOn: readonly { readonly target: string; readonly require: string }[];
  /** The body of `POST /services/create`. */
  readonly spec: Record<string, unknown>;
}

/** Everything to deploy, in the stack's order. */
export interface SwarmPlan {
  readonly namespace: string;
  /** Bodies of `POST /networks/create`. */
  readonly networks: readonly Record<string, unknown>[];
  readonly services: readonly SwarmService[];
}

/** Options of the swarm plan. */
export interface SwarmPlanOptions {
  /** Env file contents by absolute path (swarm has no env files: they are inlined). */
  readonly envFiles?: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** The image reference to deploy for each image name (pinned by the caller). */
  readonly images?: ReadonlyMap<string, string>;
  /** `ingress` (the routing mesh, the default) or `host` (each node's own port). */
  readonly publishMode?: "ingress" | "host";
}

const ns = (ms: number) => ms * 1_000_000;

function restartPolicy(svc: Service): Record<string, unknown> {
  const r = svc.restart;
  const condition = r.mode === "never"
    ? "none"
    : r.mode === "always" && svc.kind !== "oneshot"
    ? "any"
    : "on-failure";
  return {
    Condition: condition,
    ...(condition !== "none"
      ? {
        Delay: ns(r.backoff.minMs),
        ...(Number.isFinite(r.maxRetries) ? { MaxAttempts: r.maxRetries } : {}),
        Window: ns(r.stableMs),
      }
      : {}),
  };
}

/** Plans the deployment of the stack's container services. */
export function swarmPlan(stack: Stack, options: SwarmPlanOptions = {}): Exported<SwarmPlan> {
  const notes = new Notes();
  const namespace = composeName(stack.name);
  const stackLabels = { [SWARM_LABEL.namespace]: namespace, [SWARM_LABEL.stack]: stack.name };
  const included = new Set(Object.values(stack.services).filter(exportable).map((s) => s.name));
  const networks = new Map<string, Record<string, unknown>>();
  const networkName = (key: string) => {
    const spec = stack.networks?.[key];
    const name = spec?.name ?? `${namespace}_${key}`;
    if (!networks.has(key)) {
      if (spec?.driver && spec.driver !== "overlay") {
        notes.for("")(`network ${key}: driver ${spec.driver} becomes overlay on a swarm`);
      }
      networks.set(key, {
        Name: name,
        Driver: "overlay",
        Attachable: true,
        ...(spec?.internal ? { Internal: true } : {}),
        Labels: { ...(spec?.labels ?? {}), ...stackLabels },
        ...(spec?.external ? { external: true } : {}),
      });
    }
    return name;
  };
  const services: SwarmService[] = [];
  for (const svc of Object.values(stack.services)) {
    const note = notes.for(svc.name);
    if (!included.has(svc.name)) {
      note("a process service without an image: not deployed (it runs on the host)");
      continue;
    }
    if (!svc.enabled) {
      note("disabled: not deployed");
      continue;
    }
    const text = (s: string) => literal(s, svc, stack, note);
    // A task's replica and instance differ on the swarm: only the service and stack are fixed.
    const env = layerEnv({
      files: svc.envFiles.map((f) => options.envFiles?.get(f) ?? {}),
      declared: Object.fromEntries(Object.entries(svc.env).map(([k, v]) => [k, text(v)])),
      vars: { ORCH_SERVICE: svc.name, ORCH_STACK: stack.name },
    });
    const health = dockerHealth(svc, stack, note);
    const job = svc.kind === "oneshot";
    const attachments = svc.networks && svc.networks.length > 0
      ? svc.networks.map((n) => ({ Target: networkName(n.network), Aliases: [...n.aliases] }))
      : svc.network
      ? []
      : [{ Target: networkName("default"), Aliases: [svc.name] }];
    if (svc.network) {
      note(`network ${svc.network} is not used on a swarm: the service joins no network`);
    }
    if (portsOf(svc, note).some((p) => p.hostIp)) {
      note("swarm publishes ports on every address of every node");
    }
    const u = svc.update;
    const surge = u.strategy === "rolling" && u.maxSurge > 0;
    const batch = Math.max(
      1,
      u.strategy === "recreate" ? svc.replicas : surge ? u.maxSurge : u.maxUnavailable,
    );
    const mounts = svc.volumes.map((v) => {
      const [source, target, mode] = v.split(":");
      if (target === undefined) return { Type: "volume", Target: source };
      const bind = source.startsWith("/");
      if (bind) note(`the bind mount ${source} must exist on every node that runs a task`);
      return {
        Type: bind ? "bind" : "volume",
        Source: source,
        Target: target,
        ...(mode === "ro" ? { ReadOnly: true } : {}),
      };
    });
    const dependsOn = svc.dependsOn.filter((d) => {
      if (included.has(d.target) && stack.services[d.target]?.enabled) return true;
      note(`depends on ${d.target}, which is not deployed: not waited for`);
      return false;
    }).map((d) => ({ target: d.target, require: d.require }));
    if (svc.preScript || svc.postScript) {
      note("preScript and postScript run on the host: not deployed");
    }
    const spec: Record<string, unknown> = {
      Name: `${namespace}_${svc.name}`,
      Labels: {
        ...svc.labels,
        ...stackLabels,
        [SWARM_LABEL.service]: svc.name,
        [SWARM_LABEL.dependsOn]: dependsOn.map((d) => d.target).join(","),
      },
      TaskTemplate: {
        ContainerSpec: {
          Image: options.images?.get(svc.image!) ?? svc.image,
          ...(svc.entrypoint ? { Command: svc.entrypoint.map(text) } : {}),
          ...(svc.command ? { Args: argvOf(svc.command).map(text) } : {}),
          Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
          Labels: { ...svc.labels, [SWARM_LABEL.namespace]: namespace },
          ...(svc.workdir !== stack.workdir ? { Dir: svc.workdir } : {}),
          ...(svc.user ? { User: svc.group ? `${svc.user}:${svc.group}` : svc.user } : {}),
          ...(svc.tty ? { TTY: true } : {}),
          OpenStdin: true,
          Init: true,
          StopSignal: svc.stop.signal,
          StopGracePeriod: ns(svc.stop.timeoutMs),
          ...(mounts.length ? { Mounts: mounts } : {}),
          ...(health
            ? {
              HealthCheck: {
                Test: [...health.test],
                Interval: ns(health.intervalMs),
                Timeout: ns(health.timeoutMs),
                Retries: health.retries,
                StartPeriod: ns(health.startPeriodMs),
              },
            }
            : {}),
        },
        RestartPolicy: restartPolicy(svc),
        ...(attachments.length ? { Networks: attachments } : {}),
      },
      Mode: job
        ? { ReplicatedJob: { MaxConcurrent: svc.replicas, TotalCompletions: svc.replicas } }
        : { Replicated: { Replicas: svc.replicas } },
      ...(job ? {} : {
        UpdateConfig: {
          Parallelism: batch,
          FailureAction: "rollback",
          Monitor: ns(5_000),
          Order: surge ? "start-first" : "stop-first",
        },
        RollbackConfig: {
          Parallelism: batch,
          FailureAction: "pause",
          Order: surge ? "start-first" : "stop-first",
        },
      }),
      ...(portsOf(svc, note).length
        ? {
          EndpointSpec: {
            Ports: portsOf(svc, note).map((p) => ({
              Protocol: p.protocol,
              TargetPort: p.containerPort,
              ...(p.hostPort !== undefined ? { PublishedPort: p.hostPort } : {}),
              PublishMode: options.publishMode ?? "ingress",
            })),
          },
        }
        : {}),
    };
    services.push({
      service: svc.name,
      name: `${namespace}_${svc.name}`,
      job,
      replicas: svc.replicas,
      dependsOn,
      spec,
    });
  }
  return {
    document: { namespace, networks: [...networks.values()], services },
    notes: notes.all,
  };
}
