/**
 * One instance of a service, resolved from the service and a replica: its id, orch's per-instance
 * variables, its command and entrypoint with them expanded, its environment (inherited, env files,
 * declared, orch's), its ports and its probes. Pure: the engine, the runtimes, the exporters and
 * flows' tasks resolve the same things the same way here.
 *
 * @module
 */
import { expandDeferred, resolvePorts } from "./deferred.ts";
import type {
  CmdProbe,
  Command,
  Health,
  HttpProbe,
  PortMapping,
  Service,
  TcpProbe,
} from "./model.ts";

/** Which instance: its service, replica index and id, in which stack. */
export interface InstanceRef {
  readonly service: string;
  readonly replica: number;
  /** `api` for a service with one instance, `api.2` for a replica. */
  readonly id: string;
  readonly stack: string;
}

/** What a runtime needs to start one instance. */
export interface InstanceSpec {
  /** The service with per-instance variables already expanded (command and entrypoint). */
  readonly service: Service;
  readonly replica: number;
  /** Unique id of this instance in this stack, e.g. `api.1`. */
  readonly instance: string;
  readonly stack: string;
  /** The full environment of the instance (orch's variables included). */
  readonly env: Readonly<Record<string, string>>;
  /**
   * The ports to publish, resolved for this replica. A port that orch routes comes with host
   * 127.0.0.1 and no host port: the runtime picks a free one and reports it in `Handle.endpoints`.
   */
  readonly ports: readonly PortMapping[];
}

/** The id of an instance: the service's name alone when it has one instance, else `name.replica`. */
export function instanceId(service: string, replica: number, many: boolean): string {
  return many ? `${service}.${replica}` : service;
}

/** orch's per-instance variables: `ORCH_REPLICA`, `ORCH_SERVICE`, `ORCH_INSTANCE`, `ORCH_STACK`. */
export function instanceVars(ref: InstanceRef): Record<string, string> {
  return {
    ORCH_REPLICA: String(ref.replica),
    ORCH_SERVICE: ref.service,
    ORCH_INSTANCE: ref.id,
    ORCH_STACK: ref.stack,
  };
}

/** A command with the per-instance variables expanded. */
export function expandCommand(command: Command, vars: Readonly<Record<string, string>>): Command {
  return "exec" in command
    ? { exec: command.exec.map((a) => expandDeferred(a, vars)) }
    : { shell: expandDeferred(command.shell, vars) };
}

/** The layers of an environment, lowest first. */
export interface EnvLayers {
  /** What the instance inherits (orch's own environment, for a process; none for a container). */
  readonly inherited?: Readonly<Record<string, string>>;
  /** The contents of its env files, in order. */
  readonly files?: readonly Readonly<Record<string, string>>[];
  /** What it declares, already expanded. */
  readonly declared?: Readonly<Record<string, string>>;
  /** orch's variables: they win over everything. */
  readonly vars: Readonly<Record<string, string>>;
}

/**
 * An environment from its layers, each over the one before. Built in a null-prototype table: a
 * variable named `__proto__` is a variable like any other.
 */
export function layerEnv(layers: EnvLayers): Record<string, string> {
  const env: Record<string, string> = Object.assign(Object.create(null), layers.inherited);
  for (const file of layers.files ?? []) Object.assign(env, file);
  for (const [k, v] of Object.entries(layers.declared ?? {})) env[k] = v;
  return { ...env, ...layers.vars };
}

/** Whether an instance of this service inherits orch's environment: a process does, a container not. */
export function inheritsEnv(runtime: Service["runtime"]): boolean {
  return runtime === "process";
}

/** What an instance's environment is made from, besides the service. */
export interface EnvSources {
  /** orch's own environment, inherited by processes. */
  readonly baseEnv?: Readonly<Record<string, string>>;
  /** The contents of the service's env files by path, read when the instance starts. */
  readonly envFiles?: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

/**
 * The environment of one instance: orch's (for a process), then the service's env files in order,
 * then its `env` with the per-instance variables expanded, then those variables.
 */
export function instanceEnv(
  service: Service,
  vars: Readonly<Record<string, string>>,
  sources: EnvSources = {},
): Record<string, string> {
  const declared: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(service.env)) declared[k] = expandDeferred(v, vars);
  return layerEnv({
    inherited: inheritsEnv(service.runtime) ? sources.baseEnv : undefined,
    files: service.envFiles.map((f) => sources.envFiles?.get(f) ?? {}),
    declared,
    vars,
  });
}

/** The polled probes of a health spec with the per-instance variables expanded. */
export interface InstanceProbes {
  readonly http?: HttpProbe;
  readonly tcp?: TcpProbe;
  readonly cmd?: CmdProbe;
}

/** The http, tcp and cmd probes of `health` for one instance: url, address and command expanded. */
export function instanceProbes(
  health: Health,
  vars: Readonly<Record<string, string>>,
): InstanceProbes {
  return {
    ...(health.http
      ? { http: { ...health.http, url: expandDeferred(health.http.url, vars) } }
      : {}),
    ...(health.tcp ? { tcp: { address: expandDeferred(health.tcp.address, vars) } } : {}),
    ...(health.cmd
      ? { cmd: { ...health.cmd, command: expandCommand(health.cmd.command, vars) } }
      : {}),
  };
}

/** One instance resolved: what its runtime starts, and its variables. */
export interface ResolvedInstance extends InstanceSpec {
  readonly vars: Readonly<Record<string, string>>;
}

/**
 * Resolves one instance of `service`: its variables, its command and entrypoint expanded, its
 * environment, and its ports (`ports` when given: the engine's routing decides how they are
 * published; else as configured for this replica).
 *
 * @throws {OrchError} when a port template gives no valid port for this replica.
 */
export function resolveInstance(
  service: Service,
  ref: InstanceRef,
  sources: EnvSources & { readonly ports?: readonly PortMapping[] } = {},
): ResolvedInstance {
  const vars = instanceVars(ref);
  return {
    service: {
      ...service,
      command: service.command ? expandCommand(service.command, vars) : undefined,
      ...(service.entrypoint
        ? { entrypoint: service.entrypoint.map((a) => expandDeferred(a, vars)) }
        : {}),
    },
    replica: ref.replica,
    instance: ref.id,
    stack: ref.stack,
    env: instanceEnv(service, vars, sources),
    ports: sources.ports ?? resolvePorts(service, ref.replica),
    vars,
  };
}
