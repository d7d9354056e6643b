/**
 * The routing mesh, engine side: which published ports orch listens on itself, where each replica
 * answers for them, and keeping the {@link Router} told of the ready replicas.
 *
 * A TCP port with a host side is routed by orch when:
 * - replicas > 1 share one fixed host port (`api: replicas 2, ports: ["8080:8080"]`), or a container
 *   service with a fixed host port may surge (`update.maxSurge > 0`, so that old and new replicas
 *   overlap): orch listens on it once and spreads connections over the ready replicas. Containers
 *   publish their container port on an ephemeral 127.0.0.1 port each; processes listen on their
 *   container side, which must differ per replica (`"8080:${ORCH_REPLICA + 8081}"`);
 * - a process (or a container on `network: host`) has a host side that differs from its container
 *   side (`"8080:9090"`): orch listens on 8080 and forwards to 127.0.0.1:9090.
 *
 * Everything else is published as written (Docker binds the host port) or left to the process.
 *
 * @module
 */
import { isFixedPort, type PortMapping, resolvePorts, type Service } from "../domain/mod.ts";
import type { Backend, Endpoint, RouteAddress, Router } from "./ports.ts";

/**
 * How long a replica that leaves a routed port (it stops being ready: a stop, a restart, a rolling
 * update) keeps running before its stop signal: connections handed to it just before are accepted.
 */
export const ROUTE_DRAIN_MS = 500;

/** One port of one replica, and whether orch routes it. */
export interface ReplicaPort {
  readonly mapping: PortMapping;
  /** Where orch listens for it, when orch routes it. */
  readonly route: RouteAddress | undefined;
}

/** The service's processes bind their ports themselves (no Docker publishing). */
function processLike(service: Service): boolean {
  return service.runtime === "process" || service.network === "host";
}

/**
 * The ports of one replica, each with orch's listening address when orch routes it. Pure.
 *
 * @throws {OrchError} when a template gives no valid port for this replica.
 */
export function replicaRoutes(service: Service, replica: number): ReplicaPort[] {
  const mappings = resolvePorts(service, replica);
  return mappings.map((mapping, i) => {
    const spec = service.ports[i];
    const many = service.replicas > 1 || (!processLike(service) && service.update.maxSurge > 0);
    const shared = many && spec.hostPort !== undefined && isFixedPort(spec.hostPort);
    const routed = mapping.protocol === "tcp" && mapping.hostPort !== undefined &&
      service.kind !== "oneshot" &&
      (shared || (processLike(service) && mapping.hostPort !== mapping.containerPort));
    return {
      mapping,
      route: routed
        ? { hostname: mapping.hostIp ?? "0.0.0.0", port: mapping.hostPort! }
        : undefined,
    };
  });
}

/**
 * The ports a runtime publishes for a replica: as written, except that a container port orch routes
 * goes on an ephemeral port of 127.0.0.1 (the runtime reports which in `Handle.endpoints`).
 */
export function publishedPorts(service: Service, replica: number): PortMapping[] {
  return replicaRoutes(service, replica).map(({ mapping, route }) =>
    route && !processLike(service)
      ? { ...mapping, hostIp: "127.0.0.1", hostPort: undefined }
      : mapping
  );
}

/** Where one replica answers for a routed port: its own port, or what the runtime published. */
function backendOf(
  service: Service,
  mapping: PortMapping,
  endpoints: readonly Endpoint[] | undefined,
): { hostname: string; port: number } | undefined {
  if (processLike(service)) return { hostname: "127.0.0.1", port: mapping.containerPort };
  const e = endpoints?.find((p) =>
    p.containerPort === mapping.containerPort && p.protocol === mapping.protocol
  );
  if (!e) return undefined;
  const any = e.hostIp === "" || e.hostIp === "0.0.0.0" || e.hostIp === "::";
  return { hostname: any ? "127.0.0.1" : e.hostIp, port: e.hostPort };
}

const LOCAL = new Set(["localhost", "127.0.0.1", "0.0.0.0", "::1", "::", "[::1]", "[::]"]);

/**
 * Where a probe of one instance should go: a probe on a port that orch routes checks the instance
 * itself, not the mesh (which only sends traffic to replicas already ready). Undefined: as written.
 */
export function directAddress(
  service: Service,
  replica: number,
  endpoints: readonly Endpoint[] | undefined,
  host: string,
  port: number,
): { hostname: string; port: number } | undefined {
  let routes: ReplicaPort[];
  try {
    routes = replicaRoutes(service, replica);
  } catch {
    return undefined;
  }
  for (const { mapping, route } of routes) {
    if (!route || route.port !== port) continue;
    if (!LOCAL.has(host) && host !== route.hostname) continue;
    return backendOf(service, mapping, endpoints);
  }
  return undefined;
}

/** One instance as the mesh sees it. */
export interface MeshInstance {
  readonly service: Service;
  readonly replica: number;
  readonly id: string;
  readonly ready: boolean;
  readonly endpoints: readonly Endpoint[] | undefined;
}

const keyOf = (a: RouteAddress) => `${a.hostname}|${a.port}`;

/** Keeps the router told of each service's routes and ready replicas. */
export class Mesh {
  readonly #router: Router | undefined;
  readonly #report: (service: string, message: string) => void;
  /** Addresses orch listens on, by service. */
  readonly #owned = new Map<string, Map<string, RouteAddress>>();
  /** The last problem reported per address, so that it is said once. */
  readonly #said = new Map<string, string>();

  /**
   * @param router The adapter; without one, nothing is routed.
   * @param report Receives what went wrong (orch could not listen), once per problem.
   */
  constructor(router: Router | undefined, report: (service: string, message: string) => void) {
    this.#router = router;
    this.#report = report;
  }

  /**
   * Brings a service's routes up to date: the routes of its definition (`spec`, undefined when it
   * was removed) and of every instance, each with the instances that are ready.
   */
  update(name: string, spec: Service | undefined, instances: readonly MeshInstance[]): void {
    const router = this.#router;
    if (!router) return;
    const owned = this.#owned.get(name);
    if (!owned && !spec?.ports.length && !instances.some((i) => i.service.ports.length > 0)) return;
    const routes = new Map<string, { address: RouteAddress; backends: Backend[] }>();
    const add = (svc: Service, replica: number, instance?: MeshInstance) => {
      let ports: ReplicaPort[];
      try {
        ports = replicaRoutes(svc, replica);
      } catch {
        return; // the instance fails to start with the reason
      }
      for (const { mapping, route } of ports) {
        if (!route) continue;
        const key = keyOf(route);
        const entry = routes.get(key) ?? { address: route, backends: [] };
        routes.set(key, entry);
        if (!instance?.ready) continue;
        const target = backendOf(svc, mapping, instance.endpoints);
        if (target) entry.backends.push({ id: instance.id, ...target });
      }
    };
    if (spec?.enabled) { for (let r = 0; r < spec.replicas; r++) add(spec, r); }
    for (const instance of instances) add(instance.service, instance.replica, instance);
    const now = new Map<string, RouteAddress>();
    for (const [key, { address, backends }] of routes) {
      now.set(key, address);
      const problem = router.route(address, backends);
      if (problem && this.#said.get(key) !== problem) {
        this.#report(name, `cannot listen on ${address.hostname}:${address.port}: ${problem}`);
      }
      if (problem) this.#said.set(key, problem);
      else this.#said.delete(key);
    }
    for (const [key, address] of owned ?? []) {
      if (!now.has(key)) router.unroute(address);
    }
    if (now.size > 0) this.#owned.set(name, now);
    else this.#owned.delete(name);
  }

  /** The ports a runtime publishes for a replica ({@link publishedPorts}; as written without a router). */
  publish(service: Service, replica: number): PortMapping[] {
    return this.#router ? publishedPorts(service, replica) : resolvePorts(service, replica);
  }

  /** Whether orch listens on a port of the service now. */
  routed(name: string): boolean {
    return this.#owned.has(name);
  }

  /** Stops every route. */
  async close(): Promise<void> {
    this.#owned.clear();
    await this.#router?.close();
  }
}
