/**
 * The frozen stack model every config format lands on. The loader in `src/config/` produces it; the
 * engine, runtimes and commands only read it.
 *
 * Durations are milliseconds. Paths are absolute.
 *
 * @module
 */

/** How a service runs: to completion, long-running with probes, or long-running and ready at once. */
export type Kind = "oneshot" | "service" | "daemon";
/** Which runtime starts the service's instances. */
export type RuntimeKind = "process" | "docker";
/** What a dependent waits for: `started` (spawned), `exists` (alias of started for containers), `ready`, `completed`. */
export type Requirement = "started" | "exists" | "ready" | "completed";
/** When a stopped instance is started again. */
export type RestartMode = "always" | "on-failure" | "never";
/** Probe aliases, usable in a health `expression`. */
export type ProbeAlias = "http" | "tcp" | "cmd" | "log";
/** Every kind, in the order documentation lists them. */
export const KINDS: readonly Kind[] = ["oneshot", "service", "daemon"];
/** Every requirement. */
export const REQUIREMENTS: readonly Requirement[] = ["started", "exists", "ready", "completed"];
/** Every probe alias. */
export const PROBE_ALIASES: readonly ProbeAlias[] = ["http", "tcp", "cmd", "log"];

/** A command: an argument vector executed directly, or a script run by `sh -c`. */
export type Command =
  | { readonly exec: readonly string[] }
  | { readonly shell: string };

/** The argument vector that runs a command: a list as is, a string through `sh -c`. */
export function argvOf(command: Command): string[] {
  return "exec" in command ? [...command.exec] : ["sh", "-c", command.shell];
}

/** An edge of the dependency graph: this service waits for `target` to reach `require`. */
export interface Dependency {
  readonly target: string;
  readonly require: Requirement;
  /** How long to wait before the dependent fails; `undefined` waits as long as it takes. */
  readonly timeoutMs: number | undefined;
  /** Restart the dependent after the target restarts and is ready again. */
  readonly restart: boolean;
}

/** An HTTP probe: ready when a request answers with one of `expectStatus`. */
export interface HttpProbe {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly expectStatus: readonly number[];
}
/** A TCP probe: ready when `host:port` accepts a connection (may use `${ORCH_REPLICA}`). */
export interface TcpProbe {
  readonly address: string;
}
/** A command probe: ready when the command exits 0 within the probe timeout. */
export interface CmdProbe {
  readonly command: Command;
  /** For containers: run inside the container (exec) rather than on the host. */
  readonly inContainer: boolean;
}
/** A log probe: ready when a line from one of `sources` matches `pattern`. */
export interface LogProbe {
  readonly pattern: string;
  readonly sources: readonly ("stdout" | "stderr")[];
}

/** A parsed health expression over probe aliases. */
export type HealthExpr =
  | { readonly op: "probe"; readonly name: ProbeAlias }
  | { readonly op: "or" | "and"; readonly left: HealthExpr; readonly right: HealthExpr };

/** Probes, their timing, and how their results combine. */
export interface Health {
  readonly http?: HttpProbe;
  readonly tcp?: TcpProbe;
  readonly cmd?: CmdProbe;
  readonly log?: LogProbe;
  /** How results combine; when absent, every configured probe must pass. */
  readonly expression: HealthExpr | undefined;
  readonly gracePeriodMs: number;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
  /**
   * What failing probes do after the instance was ready: `restart` it (liveness; under restart
   * policy `never` it only becomes unready), or make it `unready` until they pass again.
   */
  readonly onFailure: "restart" | "unready";
}

/** Exponential backoff between restarts. */
export interface Backoff {
  readonly minMs: number;
  readonly maxMs: number;
  readonly factor: number;
  /** Fraction of each delay drawn at random, 0 to 1. */
  readonly jitter: number;
}

/** When and how often a service is restarted. */
export interface RestartPolicy {
  readonly mode: RestartMode;
  /** Restarts allowed before the service is failed; `Infinity` for no limit. */
  readonly maxRetries: number;
  readonly backoff: Backoff;
  /** Uptime after which the retry count and backoff reset. */
  readonly stableMs: number;
}

/** How `apply` replaces a changed service. */
export interface UpdatePolicy {
  readonly strategy: "rolling" | "recreate";
  readonly maxUnavailable: number;
  readonly maxSurge: number;
}

/** How an instance is stopped. */
export interface StopPolicy {
  readonly signal: string;
  readonly timeoutMs: number;
}

/** A published port of one instance, `[hostIp:]hostPort:containerPort[/proto]`, as numbers. */
export interface PortMapping {
  readonly hostIp: string | undefined;
  readonly hostPort: number | undefined;
  readonly containerPort: number;
  readonly protocol: "tcp" | "udp";
}

/**
 * A port number as configured: a number, or a template that uses `${ORCH_REPLICA}` (and arithmetic
 * on it, `${ORCH_REPLICA + 8081}`) and gives a number per replica.
 */
export type PortValue = number | string;

/**
 * A port as configured; `resolvePorts` (domain/deferred.ts) turns it into a {@link PortMapping} per
 * replica. For `runtime: process`, `hostPort:containerPort` means orch listens on the host port and
 * forwards to the process on 127.0.0.1:containerPort (when they differ, or when replicas share one
 * host port); a single port, or equal sides, says where the process listens itself.
 */
export interface PortSpec {
  readonly hostIp: string | undefined;
  readonly hostPort: PortValue | undefined;
  readonly containerPort: PortValue;
  readonly protocol: "tcp" | "udp";
}

/** A hook run before the service starts or after it stops. */
export interface Hook {
  readonly command: Command;
  readonly timeoutMs: number;
}

/** A Docker network a container joins, under its stack key, reachable by these names too. */
export interface NetworkAttachment {
  /** The key in the stack's `networks`. */
  readonly network: string;
  /** Names other containers on the network resolve to this one (the service name always). */
  readonly aliases: readonly string[];
}

/** A Docker network of the stack: created by orch (labelled with the project) unless external. */
export interface NetworkSpec {
  /** The Docker network's name. */
  readonly name: string;
  readonly driver: string | undefined;
  readonly external: boolean;
  readonly internal: boolean;
  readonly labels: Readonly<Record<string, string>>;
}

/** Resource limits of each instance (a cgroup for a process, the engine's for a container). */
export interface Resources {
  /** Memory limit in bytes; the kernel's OOM killer acts beyond it. */
  readonly memoryBytes?: number;
  /** CPU time, in CPUs (0.5: half of one CPU). */
  readonly cpus?: number;
  /** Most processes (and threads) at once. */
  readonly pids?: number;
}

/** One service of the stack, fully defaulted. */
export interface Service {
  readonly name: string;
  readonly kind: Kind;
  readonly runtime: RuntimeKind;
  readonly image: string | undefined;
  readonly command: Command | undefined;
  /** Containers: replaces the image's entrypoint (`[]` resets it); absent keeps it. */
  readonly entrypoint?: readonly string[];
  readonly workdir: string;
  readonly env: Readonly<Record<string, string>>;
  /** Files named by `envFromFile`, absolute; read when an instance starts. */
  readonly envFiles: readonly string[];
  /** As configured, with per-replica templates; see `resolvePorts` in domain/deferred.ts. */
  readonly ports: readonly PortSpec[];
  readonly volumes: readonly string[];
  readonly network: string | undefined;
  /** Containers: the stack networks it joins; absent or empty leaves it on the engine's default. */
  readonly networks?: readonly NetworkAttachment[];
  readonly dependsOn: readonly Dependency[];
  readonly health: Health | undefined;
  readonly update: UpdatePolicy;
  readonly replicas: number;
  readonly restart: RestartPolicy;
  readonly stop: StopPolicy;
  readonly user: string | undefined;
  readonly group: string | undefined;
  readonly enabled: boolean;
  readonly required: boolean;
  /** Delay before dependents may start after this service started. */
  readonly waitAfterMs: number;
  /** Exit codes that count as success for a oneshot and as a clean exit for `on-failure`. */
  readonly successCodes: readonly number[];
  readonly preScript: Hook | undefined;
  readonly postScript: Hook | undefined;
  /** Plain-text copy of the service's output, absolute. */
  readonly logFile: string | undefined;
  readonly tty: boolean;
  readonly labels: Readonly<Record<string, string>>;
  /** Limits, when asked for (`resources`). */
  readonly resources: Resources | undefined;
}

/** A whole stack: what `orch up` runs. */
export interface Stack {
  readonly name: string;
  /** The project directory: where `.orch/` lives and relative paths start. */
  readonly workdir: string;
  /** The files it was loaded from, in override order. */
  readonly files: readonly string[];
  /** Services in declaration order, in a null-prototype table (any name is a plain key). */
  readonly services: Readonly<Record<string, Service>>;
  /** The bound on stopping the whole stack. */
  readonly shutdownTimeoutMs: number;
  /** Docker networks by stack key; absent when the stack declares none. */
  readonly networks?: Readonly<Record<string, NetworkSpec>>;
}

/**
 * The service named `name`, or undefined. Only the stack's own entries count: a name such as
 * `constructor` or `toString` is a service only when the stack defines one.
 */
export function serviceNamed(stack: Stack, name: string): Service | undefined {
  return Object.hasOwn(stack.services, name) ? stack.services[name] : undefined;
}

/** A copy of `services` (a null-prototype table, in the same order) with `name` set to `spec`. */
export function withService(
  services: Readonly<Record<string, Service>>,
  name: string,
  spec: Service,
): Record<string, Service> {
  const out: Record<string, Service> = Object.assign(Object.create(null), services);
  out[name] = spec;
  return out;
}
