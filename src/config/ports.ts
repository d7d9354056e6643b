/**
 * Ports: parsing `[ip:][host:]port[/proto]` with per-replica templates (`${ORCH_REPLICA + 8081}`),
 * and the whole-stack check that no two instances would bind the same port.
 *
 * What binds where (README, "Ports and replicas"):
 * - `runtime: process` (and containers on `network: host`): the process listens on the container
 *   side itself. When the host side differs, orch listens there and forwards to 127.0.0.1:container.
 *   When replicas > 1 share one fixed host port, orch listens on it once and spreads connections over
 *   the ready replicas, so each replica's container side must differ (vary with ORCH_REPLICA).
 * - containers: Docker publishes the host side; when replicas > 1 share one fixed host port (or one
 *   replica may surge, `update.maxSurge` > 0), orch listens on it and each replica's container port
 *   is published on its own ephemeral host port (src/engine/mesh.ts decides this at run time).
 *
 * @module
 */
import {
  DEFERRED_VARIABLES,
  isFixedPort,
  isReplicaArithmetic,
  type PortSpec,
  type PortValue,
  quote,
  resolvePort,
  type Service,
} from "../domain/mod.ts";
import type { FieldPath } from "./source.ts";

const EXAMPLE =
  `expected a port like "8080", "8080:80", "127.0.0.1:8080:80" or "8080:\${ORCH_REPLICA + 8081}"`;

/**
 * Parses `"8080"`, `"8080:80"`, `"127.0.0.1:8080:80"`, `"53:53/udp"`, a number, or any of those with
 * `${ORCH_REPLICA}` templates on the port sides; returns the spec or what is wrong.
 */
export function parsePort(value: string | number): PortSpec | string {
  const text = String(value).trim();
  const templates: string[] = [];
  const masked = text.replace(/\$\{[^{}]*\}/g, (template) => {
    templates.push(template);
    return `\uE000${templates.length - 1}\uE001`;
  });
  const side = "((?:\\d|\\uE000\\d+\\uE001)+)";
  const match = new RegExp(
    `^(?:(?:(\\[[^\\]\\uE000]+\\]|[^:\\uE000]+):)?${side}?:)?${side}(?:/(tcp|udp))?$`,
  ).exec(masked);
  if (!match) return `${EXAMPLE}, got ${quote(text)}`;
  for (const template of templates) {
    const inner = template.slice(2, -1);
    const name = /^([A-Za-z_][A-Za-z0-9_]*)(?::?-\d*)?$/.exec(inner)?.[1];
    if (name !== "ORCH_REPLICA" && !isReplicaArithmetic(inner)) {
      return DEFERRED_VARIABLES.has(name ?? "") || /^[A-Za-z_]/.test(inner)
        ? `only \${ORCH_REPLICA} and arithmetic on it (\${ORCH_REPLICA + 8081}) give a port, not ${
          quote(template, 40)
        }`
        : `${quote(template, 40)} is not arithmetic on ORCH_REPLICA (integers, +, - and *)`;
    }
  }
  const [, hostIp, hostSide, containerSide, protocol] = match;
  const restore = (masked: string): PortValue =>
    masked.includes("\uE000")
      ? masked.replace(/\uE000(\d+)\uE001/g, (_, i) => templates[Number(i)])
      : Number(masked);
  const hostPort = hostSide === undefined ? undefined : restore(hostSide);
  const containerPort = restore(containerSide);
  for (const sidePort of [hostPort, containerPort]) {
    if (sidePort === undefined) continue;
    if (resolvePort(sidePort, 0) === undefined) {
      return typeof sidePort === "number"
        ? `port out of range (1-65535) in ${quote(text)}`
        : `${quote(String(sidePort), 40)} does not give a port from 1 to 65535 for replica 0`;
    }
  }
  return {
    hostIp: hostIp?.replace(/^\[|\]$/g, ""),
    hostPort,
    containerPort,
    protocol: (protocol ?? "tcp") as "tcp" | "udp",
  };
}

/** One port some instance (or orch, for a service) would bind. */
interface Bind {
  readonly port: number;
  /** undefined: every address. */
  readonly ip: string | undefined;
  readonly service: string;
  readonly index: number;
  /** undefined: orch's one listener for all replicas. */
  readonly replica: number | undefined;
  readonly by: "process" | "orch" | "docker";
}

const ANY = new Set(["", "0.0.0.0", "::", "[::]"]);
const overlaps = (a: string | undefined, b: string | undefined) =>
  a === undefined || b === undefined || ANY.has(a) || ANY.has(b) || a === b;

/** The fix for replicas that would share a port: one host port, one container port per replica. */
function meshHint(host: number): string {
  const base = host < 65535 - 1000 ? host + 1 : host - 1001;
  return `use "${host}:\${ORCH_REPLICA + ${base}}": orch listens on ${host} and spreads ` +
    `connections over the replicas, each listening on its own port`;
}

/**
 * Reports every port that two instances of the stack (or orch and an instance) would bind, and every
 * template that gives no valid port for one of the configured replicas.
 */
export function checkPorts(
  services: readonly Service[],
  report: (path: FieldPath, message: string, hint?: string) => void,
): void {
  const taken = new Map<string, Bind[]>();
  const where = (b: Bind, svc: string) =>
    b.service === svc ? `ports[${b.index}] of this service` : `"${b.service}" (ports[${b.index}])`;
  for (const svc of services) {
    if (!svc.enabled) continue;
    const processLike = svc.runtime === "process" || svc.network === "host";
    const n = svc.replicas;
    svc.ports.forEach((spec, index) => {
      const at = ["services", svc.name, "ports", index];
      const hosts: (number | undefined)[] = [];
      const inner: number[] = [];
      for (let r = 0; r < n; r++) {
        const h = spec.hostPort === undefined ? undefined : resolvePort(spec.hostPort, r);
        const c = resolvePort(spec.containerPort, r);
        if (c === undefined || (spec.hostPort !== undefined && h === undefined)) {
          const bad = c === undefined ? spec.containerPort : spec.hostPort!;
          report(at, `${quote(String(bad), 40)} gives no port from 1 to 65535 for replica ${r}`);
          return;
        }
        hosts.push(h);
        inner.push(c);
      }
      if (n === 0) return;
      const shared = n > 1 && spec.hostPort !== undefined && isFixedPort(spec.hostPort);
      if (shared && spec.protocol === "udp") {
        report(
          at,
          `${n} replicas cannot share UDP port ${hosts[0]}: orch spreads TCP connections only`,
          `give each replica its own port, e.g. "\${ORCH_REPLICA + ${hosts[0]}}/udp"`,
        );
        return;
      }
      const add = (bind: Omit<Bind, "service" | "index">): boolean => {
        const key = `${bind.port}/${spec.protocol}`;
        const list = taken.get(key) ?? [];
        const clash = list.find((b) => overlaps(b.ip, bind.ip));
        if (clash) {
          if (clash.service === svc.name && clash.index === index) {
            const host = typeof spec.hostPort === "number" ? spec.hostPort : bind.port;
            report(
              at,
              clash.by === "orch" || bind.by === "orch"
                ? `replica ${clash.replica ?? bind.replica} would listen on port ${bind.port}, ` +
                  `where orch listens for all ${n} replicas`
                : `replicas ${clash.replica} and ${bind.replica} would both listen on port ${bind.port}`,
              meshHint(host),
            );
          } else {
            report(at, `port ${key} is also used by ${where(clash, svc.name)}`);
          }
          return false;
        }
        taken.set(key, [...list, { ...bind, service: svc.name, index }]);
        return true;
      };
      if (processLike) {
        for (let r = 0; r < n; r++) {
          if (!add({ port: inner[r], ip: undefined, replica: r, by: "process" })) return;
          const h = hosts[r];
          if (h === undefined || h === inner[r] || shared) continue;
          if (!add({ port: h, ip: spec.hostIp, replica: r, by: "orch" })) return;
        }
        if (shared) add({ port: hosts[0]!, ip: spec.hostIp, replica: undefined, by: "orch" });
      } else if (shared) {
        add({ port: hosts[0]!, ip: spec.hostIp, replica: undefined, by: "orch" });
      } else {
        for (let r = 0; r < n; r++) {
          const h = hosts[r];
          if (h !== undefined && !add({ port: h, ip: spec.hostIp, replica: r, by: "docker" })) {
            return;
          }
        }
      }
    });
  }
}
