/**
 * From a parsed, merged stack file to the frozen {@link Stack}: defaults applied, paths resolved, and
 * the checks that need the whole stack (dependencies, cycles, expressions, sane values).
 *
 * @module
 */
import type {
  Command,
  Dependency,
  Health,
  Hook,
  Kind,
  RestartMode,
  RestartPolicy,
  Service,
  Stack,
} from "../domain/model.ts";
import { parseHealthExpr, probesOf } from "../domain/expression.ts";
import { didYouMean } from "../domain/suggest.ts";
import { findCycles } from "../domain/graph.ts";
import type { FieldPath } from "./source.ts";
import { expandDeferred, parseHostPort } from "../domain/deferred.ts";

const SAMPLE_INSTANCE = {
  ORCH_REPLICA: "0",
  ORCH_SERVICE: "x",
  ORCH_INSTANCE: "x",
  ORCH_STACK: "x",
};
import type { ServiceFile, StackFile } from "./schema.ts";

/** A problem found while normalizing, at a field path of the merged stack file. */
export interface NormalizeIssue {
  readonly path: FieldPath;
  readonly message: string;
  readonly hint?: string;
}

/** What normalizing needs besides the file. */
export interface NormalizeContext {
  /** Directory of the first file: relative paths start here. */
  readonly baseDir: string;
  /** All files, in override order. */
  readonly files: readonly string[];
}

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

/** Signals a service may be stopped with. */
export const STOP_SIGNALS = [
  "SIGTERM",
  "SIGINT",
  "SIGQUIT",
  "SIGHUP",
  "SIGKILL",
  "SIGUSR2",
  "SIGWINCH",
  "SIGABRT",
] as const;

const NAME = /^[A-Za-z0-9_-]+$/;

function resolvePath(base: string, path: string): string {
  if (path.startsWith("/")) return normalizeSlashes(path);
  if (path === "~" || path.startsWith("~/")) {
    const home = Deno.env.get("HOME") ?? "/";
    return normalizeSlashes(`${home}/${path.slice(1)}`);
  }
  return normalizeSlashes(`${base}/${path}`);
}

function normalizeSlashes(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}

function basename(path: string): string {
  return path.replace(/\/+$/, "").split("/").pop() || "stack";
}

/** Turns a merged stack file into the model, collecting every issue. */
export function normalizeStack(
  file: StackFile,
  ctx: NormalizeContext,
): { stack: Stack | undefined; issues: NormalizeIssue[] } {
  const issues: NormalizeIssue[] = [];
  const report = (path: FieldPath, message: string, hint?: string) =>
    issues.push({ path, message, ...(hint ? { hint } : {}) });
  const defaults = file.defaults ?? {};
  const stackDir = resolvePath(ctx.baseDir, file.stack?.workdir ?? ".");
  const name = file.stack?.name ?? basename(stackDir);
  if (!NAME.test(name)) {
    report(["stack", "name"], `"${name}" is not a valid name (use letters, digits, "-" and "_")`);
  }
  const entries = Object.entries(file.services ?? {});
  if (entries.length === 0) report(["services"], "no services defined");
  const kinds = new Map<string, Kind>(
    entries.map(([n, s]) => [n, s.kind ?? defaults.kind ?? "service"]),
  );
  const enabled = new Map(entries.map(([n, s]) => [n, s.enabled ?? true]));
  const names = entries.map(([n]) => n);

  const services: Record<string, Service> = {};
  for (const [svcName, svc] of entries) {
    const at = (...rest: (string | number)[]): FieldPath => ["services", svcName, ...rest];
    if (!NAME.test(svcName)) {
      report(at(), `"${svcName}" is not a valid service name (use letters, digits, "-" and "_")`);
    }
    const kind = kinds.get(svcName)!;
    const runtime = svc.runtime ?? (svc.image ? "docker" : defaults.runtime ?? "process");
    const command = buildCommand(svc, at, report);
    if (runtime === "process" && !command) {
      report(at("command"), "is required for a process service");
    }
    if (runtime === "docker" && !svc.image) report(at("image"), "is required for a docker service");
    if (runtime === "process" && svc.image) {
      report(
        at("image"),
        `is only used by runtime "docker"`,
        `set runtime: docker, or remove image`,
      );
    }

    const dependsOn: Dependency[] = (svc.dependsOn ?? []).map((dep, i) => {
      const targetKind = kinds.get(dep.target);
      if (targetKind === undefined) {
        report(
          at("dependsOn", i, "target"),
          `unknown service "${dep.target}"`,
          didYouMean(dep.target, names),
        );
      } else if (enabled.get(dep.target) === false && (svc.enabled ?? true)) {
        report(at("dependsOn", i, "target"), `"${dep.target}" is disabled (enabled = false)`);
      }
      const require = dep.require ?? (targetKind === "oneshot" ? "completed" : "ready");
      if (targetKind === "oneshot" && require === "ready") {
        report(
          at("dependsOn", i, "require"),
          `"${dep.target}" is a oneshot: it completes but never becomes ready`,
          "use require: completed",
        );
      }
      if (targetKind !== undefined && targetKind !== "oneshot" && require === "completed") {
        report(
          at("dependsOn", i, "require"),
          `"${dep.target}" is a ${targetKind}: it runs until stopped and never completes`,
          "use require: ready",
        );
      }
      if (dep.timeout !== undefined && dep.timeout <= 0) {
        report(at("dependsOn", i, "timeout"), "must be greater than 0");
      }
      return {
        target: dep.target,
        require,
        timeoutMs: dep.timeout ?? defaults.dependencyTimeout,
        restart: dep.restart ?? false,
      };
    });

    const health = buildHealth(svc, kind, defaults.health ?? {}, at, report);
    const restart = buildRestart(svc, kind, defaults.restartPolicy, at, report);
    const replicas = svc.replicas ?? 1;
    if (replicas > BUILTIN.maxReplicas) {
      report(
        at("replicas"),
        `${replicas} replicas is more than the limit of ${BUILTIN.maxReplicas}`,
      );
    }
    // One replica at a time by default: stop one, start its replacement on the same index (so that
    // ports derived from ORCH_REPLICA stay free). A surge must be asked for.
    const given = svc.update?.maxUnavailable !== undefined || svc.update?.maxSurge !== undefined;
    const update = {
      strategy: svc.update?.strategy ?? "rolling",
      maxUnavailable: svc.update?.maxUnavailable ?? (given ? 0 : 1),
      maxSurge: svc.update?.maxSurge ?? 0,
    } as const;
    if (update.maxUnavailable === 0 && update.maxSurge === 0) {
      report(
        at("update"),
        "maxUnavailable and maxSurge cannot both be 0: no replica could be replaced",
      );
    }
    const stopSignal = normalizeSignal(
      svc.stop?.signal ?? defaults.stop?.signal ?? BUILTIN.stopSignal,
    );
    if (!(STOP_SIGNALS as readonly string[]).includes(stopSignal)) {
      report(
        svc.stop?.signal ? at("stop", "signal") : ["defaults", "stop", "signal"],
        `"${stopSignal}" cannot be used to stop a service`,
        stopSignal === "SIGUSR1"
          ? "SIGUSR1 is reserved by the runtime; use SIGUSR2"
          : `use one of ${STOP_SIGNALS.join(", ")}`,
      );
    }
    const stopTimeoutMs = svc.stop?.timeout ?? defaults.stop?.timeout ?? BUILTIN.stopTimeoutMs;
    const [user, groupFromUser] = (svc.user ?? defaults.user)?.split(":", 2) ?? [];
    const hook = (h: ServiceFile["preScript"], field: string): Hook | undefined => {
      if (!h) return undefined;
      const timeoutMs = h.timeout ?? defaults.hookTimeout ?? BUILTIN.hookTimeoutMs;
      if (timeoutMs <= 0) report(at(field, "timeout"), "must be greater than 0");
      return { command: h.command, timeoutMs };
    };
    if (kind === "oneshot" && (svc.replicas ?? 1) > 1 && svc.update?.strategy === "rolling") {
      report(at("update"), "rolling updates apply to long-running services, not oneshots");
    }
    services[svcName] = {
      name: svcName,
      kind,
      runtime,
      image: svc.image,
      command,
      workdir: resolvePath(stackDir, svc.workdir ?? defaults.workdir ?? "."),
      env: { ...defaults.env, ...svc.env },
      envFiles: (svc.envFromFile ?? []).map((f) => resolvePath(stackDir, f)),
      ports: svc.ports ?? [],
      volumes: svc.volumes ?? [],
      network: svc.network,
      dependsOn,
      health,
      update,
      replicas,
      restart,
      stop: { signal: stopSignal, timeoutMs: stopTimeoutMs },
      user: user || undefined,
      group: svc.group ?? (groupFromUser || undefined),
      enabled: svc.enabled ?? true,
      required: svc.required ?? false,
      waitAfterMs: svc.waitAfter ?? defaults.waitAfter ?? 0,
      successCodes: svc.successCodes ?? [0],
      preScript: hook(svc.preScript, "preScript"),
      postScript: hook(svc.postScript, "postScript"),
      logFile: svc.logFile === undefined ? undefined : resolvePath(stackDir, svc.logFile),
      tty: svc.tty ?? false,
      labels: svc.labels ?? {},
      resources: svc.resources,
    };
  }

  const edges = new Map(
    Object.values(services).map((s) => [s.name, s.dependsOn.map((d) => d.target)]),
  );
  for (const cycle of findCycles(names, edges)) {
    const from = cycle[0];
    const index = services[from]?.dependsOn.findIndex((d) => d.target === cycle[1]) ?? 0;
    report(["services", from, "dependsOn", index], `dependency cycle: ${cycle.join(" -> ")}`);
  }

  const shutdownTimeoutMs = file.stack?.shutdownTimeout ?? BUILTIN.shutdownTimeoutMs;
  if (issues.length > 0) return { stack: undefined, issues };
  return {
    stack: deepFreeze({
      name,
      workdir: stackDir,
      files: [...ctx.files],
      services,
      shutdownTimeoutMs,
    }),
    issues,
  };
}

function normalizeSignal(signal: string): string {
  const upper = signal.toUpperCase();
  return upper.startsWith("SIG") ? upper : `SIG${upper}`;
}

function buildCommand(
  svc: ServiceFile,
  at: (...rest: (string | number)[]) => FieldPath,
  report: (path: FieldPath, message: string, hint?: string) => void,
): Command | undefined {
  if (!svc.args) return svc.command;
  if (!svc.command) return { exec: svc.args };
  if ("shell" in svc.command) {
    report(at("args"), "args need command to be a list, not a shell string");
    return svc.command;
  }
  return { exec: [...svc.command.exec, ...svc.args] };
}

function buildHealth(
  svc: ServiceFile,
  kind: Kind,
  defaults: NonNullable<NonNullable<StackFile["defaults"]>["health"]>,
  at: (...rest: (string | number)[]) => FieldPath,
  report: (path: FieldPath, message: string, hint?: string) => void,
): Health | undefined {
  const h = svc.health;
  if (!h) return undefined;
  const configured = (["http", "tcp", "cmd", "log"] as const).filter((p) => h[p] !== undefined);
  if (configured.length === 0) {
    report(at("health"), "no probe configured", "add http, tcp, cmd or log");
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
      report(at("health", "tcp", "address"), `expected "host:port", got "${h.tcp.address}"`);
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
      report(at("health", "http", "url"), `"${h.http.url}" is not an http:// or https:// URL`);
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
  };
}

function buildRestart(
  svc: ServiceFile,
  kind: Kind,
  defaults: ServiceFile["restartPolicy"],
  at: (...rest: (string | number)[]) => FieldPath,
  report: (path: FieldPath, message: string, hint?: string) => void,
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

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
