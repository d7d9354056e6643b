/**
 * Per-instance variables: `${ORCH_REPLICA}`, `${ORCH_SERVICE}`, `${ORCH_INSTANCE}`, `${ORCH_STACK}`.
 * Config interpolation leaves them (and `$$`) in place; they are expanded when an instance starts,
 * so that replicas can use their index in commands, env and probes (distinct ports).
 *
 * @module
 */

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
 * Expands the per-instance variables (`${ORCH_REPLICA}` and the like) and turns `$$` into `$`.
 * Runs when an instance starts.
 */
export function expandDeferred(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(
    /\$(\$)|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g,
    (whole, dollar, name, fallback) => {
      if (dollar) return "$";
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
