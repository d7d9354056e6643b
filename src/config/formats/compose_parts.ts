/**
 * Pieces of the Compose translation that stand alone: ports (short and long syntax, ranges),
 * volumes (binds, named, long syntax), health checks (every `test` form) and restart policies.
 * Each returns orch's stack file shape, or why it cannot.
 *
 * @module
 */
import { literalDollars, orchDuration, parseGoDuration } from "./foreign.ts";
import type { ComposeService } from "./compose_schema.ts";

/** The outcome of translating one value: what orch writes, and what it had to leave out. */
export interface Part<T> {
  readonly value: T | undefined;
  readonly warnings: string[];
}

function range(text: string): [number, number] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  return to >= from ? [from, to] : undefined;
}

function portString(
  ip: string | undefined,
  host: number | undefined,
  container: number,
  proto: string,
): string {
  const hostPart = ip !== undefined ? `${ip}:${host ?? ""}:` : host !== undefined ? `${host}:` : "";
  return `${hostPart}${container}${proto === "udp" ? "/udp" : ""}`;
}

/** One Compose port entry as orch port strings (a range gives one per port). */
export function translatePort(entry: NonNullable<ComposeService["ports"]>[number]): Part<string[]> {
  const warnings: string[] = [];
  let ip: string | undefined;
  let published: string | undefined;
  let target: string;
  let proto = "tcp";
  if (typeof entry === "object") {
    ip = entry.host_ip;
    published = entry.published === undefined ? undefined : String(entry.published);
    target = String(entry.target);
    proto = entry.protocol ?? "tcp";
  } else {
    let text = String(entry).trim();
    const slash = text.lastIndexOf("/");
    if (slash >= 0) {
      proto = text.slice(slash + 1);
      text = text.slice(0, slash);
    }
    if (text.startsWith("[")) {
      const close = text.indexOf("]:");
      if (close < 0) return { value: undefined, warnings: [`"${entry}" is not a port`] };
      ip = text.slice(1, close);
      text = text.slice(close + 2);
      const parts = text.split(":");
      [published, target] = parts.length === 2 ? parts : [undefined, parts[0]];
    } else {
      const parts = text.split(":");
      if (parts.length > 3) return { value: undefined, warnings: [`"${entry}" is not a port`] };
      if (parts.length === 3) [ip, published, target] = parts;
      else if (parts.length === 2) [published, target] = parts;
      else target = parts[0];
    }
    if (published === "") published = undefined;
  }
  if (proto !== "tcp" && proto !== "udp") {
    return {
      value: undefined,
      warnings: [`protocol ${proto} is not supported: port not published`],
    };
  }
  const containers = range(target);
  const hosts = published === undefined ? undefined : range(published);
  if (!containers || (published !== undefined && !hosts)) {
    return {
      value: undefined,
      warnings: [`"${typeof entry === "object" ? JSON.stringify(entry) : entry}" is not a port`],
    };
  }
  const count = containers[1] - containers[0] + 1;
  const out: string[] = [];
  if (hosts && hosts[1] - hosts[0] + 1 !== count) {
    if (count !== 1) {
      return { value: undefined, warnings: ["host and container port ranges differ in length"] };
    }
    warnings.push(`a host port range for one container port: orch publishes it on ${hosts[0]}`);
    out.push(portString(ip || undefined, hosts[0], containers[0], proto));
    return { value: out, warnings };
  }
  for (let i = 0; i < count; i++) {
    out.push(
      portString(ip || undefined, hosts ? hosts[0] + i : undefined, containers[0] + i, proto),
    );
  }
  return { value: out, warnings };
}

/** How named volumes are called on the engine, by their Compose key. */
export type VolumeNames = ReadonlyMap<string, string>;

/**
 * One Compose volume entry as an orch volume string. `bindSource` rewrites a host path (relative to
 * the Compose project) the way orch reads it (relative to the stack file).
 */
export function translateVolume(
  entry: NonNullable<ComposeService["volumes"]>[number],
  named: VolumeNames,
  bindSource: (path: string) => string,
): Part<string> & { undefinedVolume?: string } {
  const isPath = (s: string) => s.startsWith(".") || s.startsWith("/") || s.startsWith("~");
  const source = (s: string): { value?: string; missing?: string } => {
    if (isPath(s)) return { value: bindSource(s) };
    const name = named.get(s);
    return name === undefined ? { missing: s } : { value: name };
  };
  if (typeof entry === "string") {
    const parts = entry.split(":");
    if (parts.length === 1) return { value: entry, warnings: [] };
    const resolved = source(parts[0]);
    if (resolved.missing) {
      return { value: undefined, warnings: [], undefinedVolume: resolved.missing };
    }
    return { value: [resolved.value, ...parts.slice(1)].join(":"), warnings: [] };
  }
  const warnings: string[] = [];
  if (entry.type !== "bind" && entry.type !== "volume") {
    return {
      value: undefined,
      warnings: [`a ${entry.type} mount is not supported: ${entry.target} is not mounted`],
    };
  }
  for (const key of ["bind", "volume", "consistency"] as const) {
    if (entry[key] !== undefined) warnings.push(`${key} options are ignored`);
  }
  const suffix = entry.read_only ? ":ro" : "";
  if (!entry.source) return { value: `${entry.target}`, warnings };
  const resolved = source(entry.source);
  if (resolved.missing) return { value: undefined, warnings, undefinedVolume: resolved.missing };
  return { value: `${resolved.value}:${entry.target}${suffix}`, warnings };
}

/** Docker's health check defaults, which Compose inherits. */
const DOCKER_HEALTH = { intervalMs: 30_000, timeoutMs: 30_000, retries: 3 };

/**
 * A Compose healthcheck as orch's `health`: the test runs inside the container (a `cmd` probe with
 * `inContainer`), with Docker's defaults for what is not given.
 */
export function translateHealthcheck(
  hc: NonNullable<ComposeService["healthcheck"]>,
): Part<Record<string, unknown>> & { error?: string } {
  const warnings: string[] = [];
  if (hc.disable) return { value: undefined, warnings };
  if (hc.test === undefined) {
    return {
      value: undefined,
      warnings: [
        "no test: the image's own HEALTHCHECK is not run by orch, so the service is ready once started",
      ],
    };
  }
  let command: unknown;
  const test = hc.test;
  if (typeof test === "string") command = literalDollars(test);
  else if (test[0] === "NONE") return { value: undefined, warnings };
  else if (test[0] === "CMD" && test.length > 1) command = test.slice(1).map(literalDollars);
  else if (test[0] === "CMD-SHELL" && test.length === 2) command = literalDollars(test[1]);
  else {
    return {
      value: undefined,
      warnings,
      error: `test must be a string, ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]`,
    };
  }
  const ms = (v: unknown, fallback: number) => {
    const parsed = v === undefined ? undefined : parseGoDuration(v);
    return orchDuration(parsed ?? fallback);
  };
  if (hc.start_interval !== undefined) {
    warnings.push("start_interval: orch probes at the interval from the start");
  }
  return {
    value: {
      cmd: { command, inContainer: true },
      interval: ms(hc.interval, DOCKER_HEALTH.intervalMs),
      timeout: ms(hc.timeout, DOCKER_HEALTH.timeoutMs),
      failureThreshold: Math.max(1, hc.retries ?? DOCKER_HEALTH.retries),
    },
    warnings,
  };
}

/** `restart:` as orch's restart policy: Docker restarts without a limit. */
export function translateRestart(restart: string | undefined): Record<string, unknown> {
  if (restart === undefined || restart === "no") return { policy: "never" };
  if (restart === "always" || restart === "unless-stopped") {
    return { policy: "always", maxRetries: "unlimited" };
  }
  const n = /^on-failure:(\d+)$/.exec(restart);
  return { policy: "on-failure", maxRetries: n ? Number(n[1]) : "unlimited" };
}

/** `deploy.restart_policy` as orch's restart policy (a constant delay, as Swarm waits). */
export function translateRestartPolicy(
  rp: NonNullable<NonNullable<ComposeService["deploy"]>["restart_policy"]>,
): Record<string, unknown> {
  const policy = rp.condition === "none"
    ? "never"
    : rp.condition === "on-failure"
    ? "on-failure"
    : "always";
  const delay = rp.delay === undefined ? undefined : parseGoDuration(rp.delay);
  const window = rp.window === undefined ? undefined : parseGoDuration(rp.window);
  return {
    policy,
    maxRetries: rp.max_attempts ? rp.max_attempts : "unlimited",
    ...(delay !== undefined
      ? { backoff: { min: orchDuration(delay), max: orchDuration(delay), factor: 1 } }
      : {}),
    ...(window !== undefined ? { stablePeriod: orchDuration(window) } : {}),
  };
}
