/**
 * From a parsed, merged stack file to the frozen {@link Stack}: defaults applied, paths resolved, and
 * the checks that need the whole stack (dependencies, cycles, expressions, ports, sane values).
 * Tables keyed by names (services, env) have no prototype, so that any name is a plain key.
 *
 * @module
 */
import {
  type Dependency,
  didYouMean,
  findCycles,
  type Hook,
  type Kind,
  quote,
  type Service,
  type Stack,
} from "../domain/mod.ts";
import type { FieldPath } from "./source.ts";
import type { ServiceFile, StackFile } from "./schema.ts";
import { normalizeNetworks, serviceInterop } from "./normalize_interop.ts";
import { buildCommand, buildHealth, buildRestart, BUILTIN } from "./service_parts.ts";
import { checkPorts } from "./ports.ts";
import { nullTable } from "./table.ts";

export { BUILTIN } from "./service_parts.ts";

/** A problem found while normalizing, at a field path of the merged stack file. */
export interface NormalizeIssue {
  readonly path: FieldPath;
  readonly message: string;
  readonly hint?: string;
  /** The issue is that something is missing there (so it may follow from a field dropped there). */
  readonly missing?: boolean;
}

/** What normalizing needs besides the file. */
export interface NormalizeContext {
  /** Directory of the first file: relative paths start here. */
  readonly baseDir: string;
  /** All files, in override order. */
  readonly files: readonly string[];
  /** No services is not an error (the stack has flows). */
  readonly allowNoServices?: boolean;
}

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

/** Service and stack names: up to 64 letters, digits, `-` and `_` (they become file, container and
 * DNS names). */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const NAME_RULE = `use up to 64 letters, digits, "-" and "_"`;

/** Resolves `path` against `base`: absolute, `~` and relative paths, `.` and `..` folded. */
export function resolvePath(base: string, path: string): string {
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

/**
 * A valid stack name made from a directory's name: `my.app` gives `my-app`. Characters other than
 * letters, digits, `-` and `_` become `-`, runs of `-` shrink to one, `-` at either end goes, and
 * what is left empty becomes `stack`.
 */
export function nameFromDirectory(path: string): string {
  const base = path.replace(/\/+$/, "").split("/").pop() ?? "";
  return base.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/-{2,}/g, "-").replace(/^-+|-+$/g, "")
    .slice(0, 64).replace(/-+$/, "") || "stack";
}

/** Turns a merged stack file into the model, collecting every issue. */
export function normalizeStack(
  file: StackFile,
  ctx: NormalizeContext,
): { stack: Stack | undefined; issues: NormalizeIssue[] } {
  const issues: NormalizeIssue[] = [];
  const report = (path: FieldPath, message: string, hint?: string, missing?: boolean) =>
    issues.push({ path, message, ...(hint ? { hint } : {}), ...(missing ? { missing } : {}) });
  const defaults = file.defaults ?? {};
  const stackDir = resolvePath(ctx.baseDir, file.stack?.workdir ?? ".");
  const name = file.stack?.name ?? nameFromDirectory(stackDir);
  if (!NAME.test(name)) {
    report(["stack", "name"], `${quote(name)} is not a valid name`, NAME_RULE);
  }
  const entries = Object.entries(file.services ?? {});
  if (entries.length === 0 && !ctx.allowNoServices) {
    report(["services"], "no services defined", undefined, true);
  }
  const kinds = new Map<string, Kind>(
    entries.map(([n, s]) => [n, s.kind ?? defaults.kind ?? "service"]),
  );
  const enabled = new Map(entries.map(([n, s]) => [n, s.enabled ?? true]));
  const names = entries.map(([n]) => n);
  const networks = normalizeNetworks(file, name);

  const services = nullTable<Service>();
  let suggested = 0;
  for (const [svcName, svc] of entries) {
    const at = (...rest: (string | number)[]): FieldPath => ["services", svcName, ...rest];
    if (!NAME.test(svcName)) {
      report(
        at(),
        `${quote(svcName)} is not a valid service name`,
        NAME_RULE,
      );
    }
    const kind = kinds.get(svcName)!;
    const runtime = svc.runtime ?? (svc.image ? "docker" : defaults.runtime ?? "process");
    const command = buildCommand(svc, at, report);
    if (runtime === "process" && !command) {
      report(at("command"), "is required for a process service", undefined, true);
    }
    if (runtime === "docker" && !svc.image) {
      report(at("image"), "is required for a docker service", undefined, true);
    }
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
        // Suggestions cost a comparison with every name: a hundred of them are enough.
        report(
          at("dependsOn", i, "target"),
          `unknown service ${quote(dep.target)}`,
          ++suggested <= 100 ? didYouMean(dep.target, names) : undefined,
        );
      } else if (enabled.get(dep.target) === false && (svc.enabled ?? true)) {
        report(at("dependsOn", i, "target"), `${quote(dep.target)} is disabled (enabled = false)`);
      }
      const require = dep.require ?? (targetKind === "oneshot" ? "completed" : "ready");
      if (targetKind === "oneshot" && require === "ready") {
        report(
          at("dependsOn", i, "require"),
          `${quote(dep.target)} is a oneshot: it completes but never becomes ready`,
          "use require: completed",
        );
      }
      if (targetKind !== undefined && targetKind !== "oneshot" && require === "completed") {
        report(
          at("dependsOn", i, "require"),
          `${quote(dep.target)} is a ${targetKind}: it runs until stopped and never completes`,
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
        `${quote(stopSignal, 20)} cannot be used to stop a service`,
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
      env: Object.assign(nullTable<string>(), defaults.env, svc.env),
      envFiles: (svc.envFromFile ?? []).map((f) => resolvePath(stackDir, f)),
      ports: svc.ports ?? [],
      ...serviceInterop(svc, { name: svcName, runtime, stackDir, networks, at, report }),
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
      labels: svc.labels ?? nullTable(),
      resources: svc.resources,
    };
  }

  const edges = new Map(
    Object.values(services).map((s) => [s.name, s.dependsOn.map((d) => d.target)]),
  );
  for (const cycle of findCycles(names, edges)) {
    const from = cycle[0];
    const index = services[from]?.dependsOn.findIndex((d) => d.target === cycle[1]) ?? 0;
    // A long cycle is named by its ends; the whole of it would be a page.
    const shown = cycle.length <= 12
      ? cycle.join(" -> ")
      : [...cycle.slice(0, 5), `… ${cycle.length - 10} more …`, ...cycle.slice(-5)].join(" -> ");
    report(["services", from, "dependsOn", index], `dependency cycle: ${shown}`);
  }
  checkPorts(Object.values(services), report);

  const shutdownTimeoutMs = file.stack?.shutdownTimeout ?? BUILTIN.shutdownTimeoutMs;
  if (issues.length > 0) return { stack: undefined, issues };
  return {
    stack: deepFreeze({
      name,
      workdir: stackDir,
      files: [...ctx.files],
      services,
      shutdownTimeoutMs,
      ...(networks ? { networks } : {}),
    }),
    issues,
  };
}

function normalizeSignal(signal: string): string {
  const upper = signal.toUpperCase();
  return upper.startsWith("SIG") ? upper : `SIG${upper}`;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
