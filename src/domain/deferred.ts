/**
 * Per-instance variables: `${ORCH_REPLICA}`, `${ORCH_SERVICE}`, `${ORCH_INSTANCE}`, `${ORCH_STACK}`,
 * and integer arithmetic on the replica index, `${ORCH_REPLICA + 8081}` or `${8081 + ORCH_REPLICA}`
 * (integers, `+`, `-`, `*`). Config interpolation leaves them (and `$$`) in place; they are expanded
 * when an instance starts, so that replicas can use their index in commands, env, probes and ports.
 *
 * The arithmetic form is not shell syntax (`sh` rejects `${A + 1}` as a bad substitution), so it
 * cannot be mistaken for a script's own variables; a script's `$((ORCH_REPLICA + 1))` is left to the
 * shell, which has ORCH_REPLICA in its environment.
 *
 * @module
 */
import type { PortMapping, PortSpec, PortValue, Service } from "./model.ts";
import { OrchError } from "./errors.ts";
import { quote } from "./quote.ts";

/** Variables orch sets per instance when it starts; left in place for that. */
export const DEFERRED_VARIABLES: ReadonlySet<string> = new Set([
  "ORCH_REPLICA",
  "ORCH_SERVICE",
  "ORCH_INSTANCE",
  "ORCH_STACK",
]);

const ARITHMETIC = /^\s*(?:ORCH_REPLICA|\d{1,9})(?:\s*[-+*]\s*(?:ORCH_REPLICA|\d{1,9}))*\s*$/;

/**
 * Whether the text between `${` and `}` is arithmetic on the replica index, like
 * `ORCH_REPLICA + 8081`: integers and ORCH_REPLICA joined by `+`, `-` and `*`.
 */
export function isReplicaArithmetic(inner: string): boolean {
  return inner.length <= 200 && /\bORCH_REPLICA\b/.test(inner) && ARITHMETIC.test(inner);
}

/**
 * Evaluates replica arithmetic (see {@link isReplicaArithmetic}) for one replica index, `*` before
 * `+` and `-`; undefined when the text is not that.
 */
export function evaluateReplicaArithmetic(inner: string, replica: number): number | undefined {
  if (!isReplicaArithmetic(inner)) return undefined;
  const tokens: string[] = inner.match(/ORCH_REPLICA|\d+|[-+*]/g) ?? [];
  const value = (token: string) => (token === "ORCH_REPLICA" ? replica : Number(token));
  let sum = 0;
  let sign = 1;
  let product = value(tokens[0]!);
  for (let i = 1; i < tokens.length; i += 2) {
    const op = tokens[i];
    const operand = value(tokens[i + 1]!);
    if (op === "*") {
      product *= operand;
    } else {
      sum += sign * product;
      sign = op === "+" ? 1 : -1;
      product = operand;
    }
  }
  return sum + sign * product;
}

/**
 * Expands the per-instance variables (`${ORCH_REPLICA}`, `${ORCH_REPLICA + 8081}` and the like) and
 * turns `$$` into `$`. Runs when an instance starts.
 */
export function expandDeferred(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(
    /\$(\$)|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$\{([^${}]{1,200})\}/g,
    (whole, dollar, name, fallback, arithmetic) => {
      if (dollar) return "$";
      if (arithmetic !== undefined) {
        const replica = Number(vars.ORCH_REPLICA);
        if (!Number.isInteger(replica)) return whole;
        const result = evaluateReplicaArithmetic(arithmetic, replica);
        return result === undefined ? whole : String(result);
      }
      if (DEFERRED_VARIABLES.has(name)) return vars[name] ?? fallback ?? "";
      return whole;
    },
  );
}

/** Parses `host:port`, `[v6]:port` or `:port` (loopback); undefined when it is not one. */
export function parseHostPort(address: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address.trim());
  const port = Number(match?.[3]);
  if (!match || !(port >= 1 && port <= 65535)) return undefined;
  return { host: match[1] ?? (match[2] || "127.0.0.1"), port };
}

/**
 * One port number of a replica: the number itself, or its template expanded for `replica`;
 * undefined when the template does not give a port from 1 to 65535.
 */
export function resolvePort(value: PortValue, replica: number): number | undefined {
  if (typeof value === "number") return value;
  const text = expandDeferred(value, { ORCH_REPLICA: String(replica) });
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** Whether a port is the same for every replica (a number, or a template that does not vary). */
export function isFixedPort(value: PortValue | undefined): boolean {
  return typeof value !== "string" || !/\$\{/.test(value.replaceAll("$$", ""));
}

/**
 * The ports of one replica of a service, as numbers: `${ORCH_REPLICA}` templates expanded with the
 * replica's index. Pure.
 *
 * @example
 * ```ts
 * import { resolvePorts } from "./deferred.ts";
 * const api = {
 *   name: "api",
 *   ports: [{
 *     hostIp: undefined,
 *     hostPort: 8080,
 *     containerPort: "${ORCH_REPLICA + 8081}",
 *     protocol: "tcp" as const,
 *   }],
 * };
 * resolvePorts(api, 1)[0].containerPort; // 8082
 * ```
 * @throws {OrchError} when a template gives no valid port for this replica (possible only for an
 * index past the replicas the config was validated with, after `orch scale`).
 */
export function resolvePorts(
  service: Pick<Service, "name" | "ports">,
  replica: number,
): PortMapping[] {
  return service.ports.map((spec: PortSpec, i) => {
    const side = (value: PortValue) => {
      const port = resolvePort(value, replica);
      if (port === undefined) {
        throw new OrchError(
          `Cannot publish ports[${i}] of "${service.name}" for replica ${replica}: ${
            quote(String(value))
          } does not give a port from 1 to 65535`,
        );
      }
      return port;
    };
    return {
      hostIp: spec.hostIp,
      hostPort: spec.hostPort === undefined ? undefined : side(spec.hostPort),
      containerPort: side(spec.containerPort),
      protocol: spec.protocol,
    };
  });
}
