/**
 * Parts of a service that normalizing builds on their own: the command, health, and restart policy,
 * with the defaults and checks that belong to each.
 *
 * @module
 */
import {
  type Command,
  expandDeferred,
  type Health,
  type Kind,
  parseHealthExpr,
  parseHostPort,
  probesOf,
  quote,
  type RestartMode,
  type RestartPolicy,
} from "../domain/mod.ts";
import type { ServiceFile, StackFile } from "./schema.ts";
import type { FieldPath } from "./source.ts";

/** Built-in defaults, documented in the README's config reference. */
export const BUILTIN = {
  healthGracePeriodMs: 0,
  healthIntervalMs: 1_000,
  healthTimeoutMs: 1_000,
  successThreshold: 1,
  failureThreshold: 3,
  maxRetries: 5,
  backoffMinMs: 500,
  backoffMaxMs: 30_000,
  backoffFactor: 2,
  backoffJitter: 0.2,
  stableMs: 10_000,
  stopSignal: "SIGTERM",
  stopTimeoutMs: 10_000,
  hookTimeoutMs: 60_000,
  shutdownTimeoutMs: 60_000,
  maxReplicas: 1_000,
} as const;

/** Values of the per-instance variables used to check fields that hold them. */
const SAMPLE_INSTANCE = {
  ORCH_REPLICA: "0",
  ORCH_SERVICE: "x",
  ORCH_INSTANCE: "x",
  ORCH_STACK: "x",
};

/** Where a service's field is: `at("health", "tcp")` is `services.NAME.health.tcp`. */
export type At = (...rest: (string | number)[]) => FieldPath;
/** Records an issue at a path. */
export type Report = (path: FieldPath, message: string, hint?: string, missing?: boolean) => void;

/** The command with `args` appended. */
export function buildCommand(svc: ServiceFile, at: At, report: Report): Command | undefined {
  if (!svc.args) return svc.command;
  if (!svc.command) return { exec: svc.args };
  if ("shell" in svc.command) {
    report(at("args"), "args need command to be a list, not a shell string");
    return svc.command;
  }
  return { exec: [...svc.command.exec, ...svc.args] };
}

/** Probes with their timing defaulted, and the expression parsed and checked. */
export function buildHealth(
  svc: ServiceFile,
  kind: Kind,
  defaults: NonNullable<NonNullable<StackFile["defaults"]>["health"]>,
  at: At,
  report: Report,
): Health | undefined {
  const h = svc.health;
  if (!h) return undefined;
  const configured = (["http", "tcp", "cmd", "log"] as const).filter((p) => h[p] !== undefined);
  if (configured.length === 0) {
    report(at("health"), "no probe configured", "add http, tcp, cmd or log", true);
    return undefined;
  }
  if (kind === "oneshot") {
    report(at("health"), "a oneshot completes; it has no readiness probes", "use kind: service");
  }
  let expression: Health["expression"];
  if (h.expression !== undefined) {
    const parsed = parseHealthExpr(h.expression);
    if (!parsed.ok) {
      report(at("health", "expression"), `${parsed.message} at column ${parsed.column}`);
    } else {
      expression = parsed.expr;
      for (const probe of new Set(probesOf(parsed.expr))) {
        if (h[probe] === undefined) {
          report(
            at("health", "expression"),
            `names probe "${probe}", which is not configured`,
            `configured: ${configured.join(", ")}`,
          );
        }
      }
    }
  }
  let tcp: Health["tcp"];
  if (h.tcp) {
    const trial = expandDeferred(h.tcp.address, SAMPLE_INSTANCE);
    if (!parseHostPort(trial)) {
      report(at("health", "tcp", "address"), `expected "host:port", got ${quote(h.tcp.address)}`);
    } else {
      tcp = { address: h.tcp.address };
    }
  }
  let http: Health["http"];
  if (h.http) {
    try {
      const url = new URL(expandDeferred(h.http.url, SAMPLE_INSTANCE));
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("not http");
    } catch {
      report(at("health", "http", "url"), `${quote(h.http.url)} is not an http:// or https:// URL`);
    }
    http = {
      url: h.http.url,
      method: (h.http.method ?? "GET").toUpperCase(),
      headers: h.http.headers ?? {},
      expectStatus: h.http.expectStatus ?? [],
    };
  }
  const timing = (field: "gracePeriod" | "interval" | "timeout") => h[field] ?? defaults[field];
  const intervalMs = timing("interval") ?? BUILTIN.healthIntervalMs;
  const timeoutMs = timing("timeout") ?? BUILTIN.healthTimeoutMs;
  if (intervalMs <= 0) report(at("health", "interval"), "must be greater than 0");
  if (timeoutMs <= 0) report(at("health", "timeout"), "must be greater than 0");
  return {
    ...(http ? { http } : {}),
    ...(tcp ? { tcp } : {}),
    ...(h.cmd ? { cmd: { command: h.cmd.command, inContainer: h.cmd.inContainer ?? false } } : {}),
    ...(h.log
      ? { log: { pattern: h.log.pattern, sources: h.log.sources ?? ["stdout", "stderr"] } }
      : {}),
    expression,
    gracePeriodMs: timing("gracePeriod") ?? BUILTIN.healthGracePeriodMs,
    intervalMs,
    timeoutMs,
    successThreshold: h.successThreshold ?? defaults.successThreshold ?? BUILTIN.successThreshold,
    failureThreshold: h.failureThreshold ?? defaults.failureThreshold ?? BUILTIN.failureThreshold,
    onFailure: h.onFailure ?? defaults.onFailure ?? "restart",
  };
}

/** The restart policy: the service's own, then the defaults', then the kind's. */
export function buildRestart(
  svc: ServiceFile,
  kind: Kind,
  defaults: ServiceFile["restartPolicy"],
  at: At,
  report: Report,
): RestartPolicy {
  const own = svc.restartPolicy ?? {};
  const base = defaults ?? {};
  let mode: RestartMode = own.policy ?? base.policy ?? (kind === "oneshot" ? "never" : "always");
  if (kind === "oneshot" && mode === "always") {
    if (own.policy === "always") {
      report(
        at("restartPolicy", "policy"),
        "a oneshot restarted always would run forever",
        "use on-failure",
      );
    }
    mode = "on-failure";
  }
  const retries = own.maxRetries ?? base.maxRetries ?? BUILTIN.maxRetries;
  const minMs = own.backoff?.min ?? base.backoff?.min ?? BUILTIN.backoffMinMs;
  const maxMs = own.backoff?.max ?? base.backoff?.max ?? Math.max(BUILTIN.backoffMaxMs, minMs);
  if (maxMs < minMs) {
    report(at("restartPolicy", "backoff", "max"), `must not be less than min (${minMs}ms)`);
  }
  return {
    mode,
    maxRetries: retries === "unlimited" ? Infinity : retries,
    backoff: {
      minMs,
      maxMs,
      factor: own.backoff?.factor ?? base.backoff?.factor ?? BUILTIN.backoffFactor,
      jitter: own.backoff?.jitter ?? base.backoff?.jitter ?? BUILTIN.backoffJitter,
    },
    stableMs: own.stablePeriod ?? base.stablePeriod ?? BUILTIN.stableMs,
  };
}
