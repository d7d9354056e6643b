/**
 * The ports of one replica, templates resolved. A minimal resolver of its own until the config's
 * domain function lands: {@link replicaPorts} is the one place to swap for it.
 *
 * @module
 */
import { isReplicaArithmetic } from "../domain/deferred.ts";
import { OrchError } from "../domain/errors.ts";
import type { PortMapping, PortValue, Service } from "../domain/model.ts";

/** `ORCH_REPLICA + 8081` and the like for one replica: `*` before `+` and `-`. */
function evaluate(inner: string, replica: number): number | undefined {
  if (inner.trim() === "ORCH_REPLICA") return replica;
  if (!isReplicaArithmetic(inner)) return undefined;
  const tokens = inner.match(/ORCH_REPLICA|\d+|[-+*]/g) ?? [];
  const value = (token: string | undefined) => (token === "ORCH_REPLICA" ? replica : Number(token));
  let sum = 0;
  let sign = 1;
  let product = value(tokens[0]);
  for (let i = 1; i < tokens.length; i += 2) {
    const operand = value(tokens[i + 1]);
    if (tokens[i] === "*") {
      product *= operand;
    } else {
      sum += sign * product;
      sign = tokens[i] === "+" ? 1 : -1;
      product = operand;
    }
  }
  return sum + sign * product;
}

/** One side of a port for a replica; undefined when the template gives no port from 1 to 65535. */
export function resolvePortValue(value: PortValue, replica: number): number | undefined {
  if (typeof value === "number") return value;
  let bad = false;
  const text = value.replace(/\$\{([^{}]*)\}/g, (_, inner: string) => {
    const n = evaluate(inner, replica);
    if (n === undefined) bad = true;
    return String(n);
  });
  const port = !bad && /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** Whether a port side is the same for every replica (a number, or text with no template). */
export function isFixedPort(value: PortValue | undefined): boolean {
  return typeof value !== "string" || !value.includes("${");
}

/**
 * The ports of replica `replica` of `service`, as numbers.
 *
 * @throws {OrchError} when a template gives no port from 1 to 65535 for this replica.
 */
export function replicaPorts(
  service: Pick<Service, "name" | "ports">,
  replica: number,
): PortMapping[] {
  return service.ports.map((spec, i) => {
    const side = (value: PortValue) => {
      const port = resolvePortValue(value, replica);
      if (port === undefined) {
        throw new OrchError(
          `Cannot publish ports[${i}] of "${service.name}" for replica ${replica}: "${value}" ` +
            `does not give a port from 1 to 65535`,
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
