/**
 * What the exporters share: notes about what could not be mapped, per service, and the
 * per-instance variables written as replica 0 (no other engine has orch's `${ORCH_REPLICA}`).
 *
 * @module
 */
import {
  expandDeferred,
  instanceVars,
  isFixedPort,
  resolvePort,
  type Service,
  type Stack,
} from "../domain/mod.ts";

/** Something the target cannot express, for one service (or the stack, with `service: ""`). */
export interface ExportNote {
  readonly service: string;
  readonly message: string;
}

/** An exported document and what was left out or changed. */
export interface Exported<T> {
  readonly document: T;
  readonly notes: readonly ExportNote[];
}

/** Collects notes for one service. */
export class Notes {
  readonly all: ExportNote[] = [];
  for(service: string): (message: string) => void {
    return (message) => {
      if (!this.all.some((n) => n.service === service && n.message === message)) {
        this.all.push({ service, message });
      }
    };
  }
}

/** The value a model string has in an instance: `$$` as `$`, orch's variables as replica 0's. */
export function literal(
  text: string,
  svc: Service,
  stack: Stack,
  note: (message: string) => void,
): string {
  if (/\$\{ORCH_(REPLICA|SERVICE|INSTANCE|STACK)(:?-[^}]*)?\}/.test(text)) {
    note(
      `uses orch's per-instance variables (\${ORCH_REPLICA}...), written with replica 0's values`,
    );
  }
  return expandDeferred(text, replicaZero(svc, stack));
}

/** orch's per-instance variables as replica 0 of `svc` has them (its id is the service's name). */
export function replicaZero(svc: Service, stack: Stack): Record<string, string> {
  return instanceVars({ service: svc.name, replica: 0, id: svc.name, stack: stack.name });
}

/** A published port with numbers (replica 0's, when the stack derives them from the replica). */
export interface FixedPort {
  readonly hostIp: string | undefined;
  readonly hostPort: number | undefined;
  readonly containerPort: number;
  readonly protocol: "tcp" | "udp";
}

/** The service's ports as numbers; ports that vary by replica are noted and written as replica 0's. */
export function portsOf(svc: Service, note?: (message: string) => void): FixedPort[] {
  return svc.ports.flatMap((p) => {
    if (!isFixedPort(p.containerPort) || !isFixedPort(p.hostPort)) {
      note?.(`a port depends on \${ORCH_REPLICA}: written as replica 0's`);
    }
    const containerPort = resolvePort(p.containerPort, 0);
    const hostPort = p.hostPort === undefined ? undefined : resolvePort(p.hostPort, 0);
    return containerPort === undefined
      ? []
      : [{ hostIp: p.hostIp, hostPort, containerPort, protocol: p.protocol }];
  });
}

/** The container port a host-side probe address reaches, through the service's published ports. */
export function containerPortFor(
  svc: Service,
  host: string,
  port: number,
): number | undefined {
  const local = ["127.0.0.1", "localhost", "::1", "0.0.0.0", ""].includes(host);
  if (!local) return undefined;
  const hit = portsOf(svc).find((p) => (p.hostPort ?? p.containerPort) === port);
  return hit?.containerPort;
}

/** Whether a service can run outside orch's machine: it has an image. */
export function exportable(svc: Service): boolean {
  return svc.runtime === "docker" && svc.image !== undefined;
}
