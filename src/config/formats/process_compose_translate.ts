/**
 * process-compose's schema and its translation onto orch's stack file shape.
 *
 * @module
 */
import type { z } from "../kit/mod.ts";
import type { probeSchema, processComposeSchema, processSchema } from "./process_compose_schema.ts";
import type { FieldPath } from "../source.ts";
import { literalDollars, type PathMap, shellQuote } from "./foreign.ts";

/** Stand-in for `PC_REPLICA_NUM` while interpolating; it becomes `${ORCH_REPLICA}`. */
export const REPLICA_MARK = "\u0000PC_REPLICA_NUM\u0000";
/** Stand-in for `PC_PROC_NAME` while interpolating; it becomes `${ORCH_SERVICE}`. */
export const NAME_MARK = "\u0000PC_PROC_NAME\u0000";

type ProcessCompose = z.output<typeof processComposeSchema>;
type Probe = z.output<typeof probeSchema>;

const SIGNAL_NAMES: Record<number, string> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  6: "SIGABRT",
  9: "SIGKILL",
  12: "SIGUSR2",
  15: "SIGTERM",
  28: "SIGWINCH",
};

/** Replaces the replica and name marks with orch's per-instance variables. */
function deferred(text: string): string {
  return text.replaceAll(REPLICA_MARK, "${ORCH_REPLICA}").replaceAll(NAME_MARK, "${ORCH_SERVICE}");
}

/** What the translation reports through. */
export interface TranslateProcessesOptions {
  readonly hasDotenv: boolean;
  readonly map: PathMap;
  readonly warn: (path: FieldPath, message: string) => void;
  readonly error: (path: FieldPath, message: string) => void;
}

function envMap(list: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const item of list ?? []) {
    const eq = item.indexOf("=");
    if (eq > 0) out[item.slice(0, eq)] = deferred(literalDollars(item.slice(eq + 1)));
  }
  return out;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Translates a validated process-compose file. */
export function translateProcesses(
  data: ProcessCompose,
  o: TranslateProcessesOptions,
): Record<string, unknown> {
  const shell = [data.shell?.shell_command ?? "bash", data.shell?.shell_argument ?? "-c"];
  const run = (command: string) => [...shell, deferred(literalDollars(command))];
  for (
    const key of [
      "log_location",
      "log_level",
      "log_length",
      "log_configuration",
      "env_cmds",
      "is_tui_disabled",
    ] as const
  ) {
    if (data[key] !== undefined) {
      o.warn([key], `not supported: orch keeps its own logs under .orch/logs and its own UI`);
    }
  }
  if (data.ordered_shutdown === false) {
    o.warn(["ordered_shutdown"], "orch always stops dependents first");
  }
  if (data.vars !== undefined) {
    o.warn(["vars"], "Go templates are not supported: {{.NAME}} is left as written");
  }
  // Who waits for what decides each process's kind and exit codes.
  const completes = new Map<string, "any" | "success">();
  for (const p of Object.values(data.processes)) {
    for (const [target, dep] of Object.entries(p.depends_on ?? {})) {
      if (dep.condition === "process_completed_successfully") completes.set(target, "success");
      else if (dep.condition === "process_completed" && completes.get(target) !== "success") {
        completes.set(target, "any");
      }
    }
  }
  const services: Record<string, unknown> = Object.create(null);
  for (const [name, p] of Object.entries(data.processes)) {
    const at = (...rest: (string | number)[]): FieldPath => ["processes", name, ...rest];
    const rec = (field: string, ...user: (string | number)[]) =>
      o.map.set(["services", name, field], at(...user));
    o.map.set(["services", name], at());
    const oneshot = completes.has(name);
    const out: Record<string, unknown> = {};
    if (p.command === undefined && p.entrypoint === undefined) o.error(at(), "has no command");
    const command = p.entrypoint
      ? [
        ...p.entrypoint.map((a) => deferred(literalDollars(a))),
        ...(p.command ? [deferred(literalDollars(p.command))] : []),
      ]
      : run(p.command ?? "");
    out.command = command;
    rec("command", p.entrypoint ? "entrypoint" : "command");
    if (p.working_dir !== undefined) {
      out.workdir = p.working_dir;
      rec("workdir", "working_dir");
    }
    out.env = {
      ...envMap(p.environment),
      PC_PROC_NAME: "${ORCH_SERVICE}",
      PC_REPLICA_NUM: "${ORCH_REPLICA}",
    };
    rec("env", "environment");
    if (o.hasDotenv) out.envFromFile = ["./.env"];
    translateAvailability(p, out, { ...o, at, rec, oneshot });
    if (completes.get(name) === "any") out.successCodes = Array.from({ length: 256 }, (_, i) => i);
    translateProbes(p, out, { ...o, at, rec, oneshot, run });
    const deps: Record<string, unknown>[] = [];
    for (const [target, dep] of Object.entries(p.depends_on ?? {})) {
      const condition = dep.condition ?? "process_started";
      const require = condition === "process_started"
        ? "started"
        : condition === "process_completed" || condition === "process_completed_successfully"
        ? "completed"
        : "ready";
      const other = data.processes[target];
      if (condition === "process_log_ready" && other && other.ready_log_line === undefined) {
        o.error(
          at("depends_on", target, "condition"),
          `process_log_ready needs ready_log_line on ${target}`,
        );
      }
      if (condition === "process_healthy" && other && !other.readiness_probe) {
        o.warn(
          at("depends_on", target, "condition"),
          `${target} has no readiness_probe: it is ready once started`,
        );
      }
      o.map.set(["services", name, "dependsOn", deps.length], at("depends_on", target));
      deps.push({ target, require });
    }
    if (deps.length > 0) out.dependsOn = deps;
    translateShutdown(p, out, { ...o, at, rec, oneshot, run, shell });
    if (p.replicas !== undefined) {
      out.replicas = p.replicas;
      rec("replicas", "replicas");
    }
    if (p.disabled) {
      out.enabled = false;
      rec("enabled", "disabled");
    }
    if (p.namespace !== undefined) out.labels = { namespace: p.namespace };
    if (p.is_tty !== undefined) {
      out.tty = p.is_tty;
      rec("tty", "is_tty");
    }
    if (p.description !== undefined) out.description = p.description;
    if (p.log_location !== undefined) {
      out.logFile = p.log_location;
      rec("logFile", "log_location");
    }
    for (const key of ["is_elevated", "launch_timeout_seconds", "vars", "is_foreground"] as const) {
      if (p[key] !== undefined) o.warn(at(key), "not supported by orch: ignored");
    }
    out.kind ??= oneshot ? "oneshot" : "service";
    services[name] = out;
  }
  return {
    version: "0.1",
    ...(data.environment ? { defaults: { env: envMap(data.environment) } } : {}),
    services,
  };
}

interface Ctx extends TranslateProcessesOptions {
  readonly at: (...rest: (string | number)[]) => FieldPath;
  readonly rec: (field: string, ...user: (string | number)[]) => void;
  readonly oneshot: boolean;
}

function translateAvailability(
  p: z.output<typeof processSchema>,
  out: Record<string, unknown>,
  c: Ctx,
): void {
  const a = p.availability;
  const policy = a?.restart === "always"
    ? "always"
    : a?.restart === "on_failure"
    ? "on-failure"
    : "never";
  const backoff = `${a?.backoff_seconds ?? 1}s`;
  out.restartPolicy = {
    policy: c.oneshot && policy === "always" ? "on-failure" : policy,
    maxRetries: a?.max_restarts ? a.max_restarts : "unlimited",
    backoff: { min: backoff, max: backoff, factor: 1 },
  };
  if (a) c.rec("restartPolicy", "availability");
  if (a?.restart === "exit_on_failure") {
    out.required = true;
    c.rec("required", "availability", "restart");
  }
  if (a?.exit_on_end) {
    c.warn(
      c.at("availability", "exit_on_end"),
      "not supported: the stack keeps running after this process ends",
    );
  }
  if (a?.exit_on_skipped) c.warn(c.at("availability", "exit_on_skipped"), "not supported: ignored");
}

function probe(
  pr: Probe,
  run: (c: string) => string[],
  c: Ctx,
  field: string,
): Record<string, unknown> {
  const h: Record<string, unknown> = {};
  if (pr.exec) {
    h.cmd = { command: run(pr.exec.command) };
    if (pr.exec.working_dir) {
      c.warn(
        c.at(field, "exec", "working_dir"),
        "not supported: probes run in the process's working_dir",
      );
    }
  }
  if (pr.http_get) {
    const g = pr.http_get;
    const path = g.path ?? "/";
    h.http = {
      url: deferred(
        `${g.scheme ?? "http"}://${g.host ?? "127.0.0.1"}:${g.port}${
          path.startsWith("/") ? path : `/${path}`
        }`,
      ),
    };
  }
  h.gracePeriod = `${pr.initial_delay_seconds ?? 0}s`;
  h.interval = `${pr.period_seconds || 10}s`;
  h.timeout = `${pr.timeout_seconds || 1}s`;
  h.successThreshold = pr.success_threshold ?? 1;
  h.failureThreshold = pr.failure_threshold ?? 3;
  return h;
}

function translateProbes(
  p: z.output<typeof processSchema>,
  out: Record<string, unknown>,
  c: Ctx & { run: (c: string) => string[] },
): void {
  const ready = p.readiness_probe;
  const live = p.liveness_probe;
  let health: Record<string, unknown> | undefined;
  if (ready) {
    health = probe(ready, c.run, c, "readiness_probe");
    c.rec("health", "readiness_probe");
    if (live) {
      c.warn(
        c.at("liveness_probe"),
        "orch's readiness probe keeps running as the liveness probe: this one is not run",
      );
    }
  } else if (live) {
    health = probe(live, c.run, c, "liveness_probe");
    c.rec("health", "liveness_probe");
    out.kind = c.oneshot ? "oneshot" : "daemon";
  }
  if (p.ready_log_line !== undefined) {
    health ??= {};
    health.log = { pattern: escapeRegex(p.ready_log_line) };
    if (!ready && !live) c.rec("health", "ready_log_line");
  }
  if (health && c.oneshot) {
    c.warn(
      c.at(ready ? "readiness_probe" : live ? "liveness_probe" : "ready_log_line"),
      "a process others wait to complete has no readiness: not probed",
    );
    return;
  }
  if (health) out.health = health;
}

function translateShutdown(
  p: z.output<typeof processSchema>,
  out: Record<string, unknown>,
  c: Ctx & { run: (c: string) => string[]; shell: string[] },
): void {
  const s = p.shutdown;
  const stop: Record<string, unknown> = {};
  if (s?.signal !== undefined) {
    const signal = typeof s.signal === "number" ? SIGNAL_NAMES[s.signal] : s.signal;
    if (!signal) {
      c.error(c.at("shutdown", "signal"), `signal ${s.signal} cannot be used to stop a process`);
    } else stop.signal = signal;
    o(c, "stop", "signal");
  }
  stop.timeout = `${s?.timeout_seconds ?? 10}s`;
  out.stop = stop;
  if (s) c.rec("stop", "shutdown");
  if (s?.parent_only) {
    c.warn(c.at("shutdown", "parent_only"), "orch signals the whole process group");
  }
  if (p.is_daemon) {
    // The launcher backgrounds the daemon and exits; orch keeps a small shell in its place that
    // runs the shutdown command when stopped, so the daemon stops with the stack.
    const launch = (out.command as string[]).map(shellQuote).join(" ");
    const onStop = s?.command ? `${c.run(s.command).map(shellQuote).join(" ")}; exit 0` : "exit 0";
    out.command = [
      "sh",
      "-c",
      `${launch} || exit $?; trap ${
        shellQuote(onStop)
      } TERM INT HUP; while :; do sleep 3600 & wait $!; done`,
    ];
    out.kind = p.readiness_probe || p.ready_log_line !== undefined ? "service" : "daemon";
    if (!s?.command) {
      c.warn(c.at("is_daemon"), "no shutdown.command: the daemon keeps running after orch stops");
    }
  } else if (s?.command) {
    c.warn(
      c.at("shutdown", "command"),
      `not run: orch stops processes with the signal (${stop.signal ?? "SIGTERM"})`,
    );
  }
}

function o(c: Ctx, field: string, sub: string): void {
  c.map.set(["services", c.at()[1] as string, field, sub], c.at("shutdown", "signal"));
}
