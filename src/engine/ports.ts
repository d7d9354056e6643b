/**
 * The engine's ports: what it needs from runtimes, command runners, clocks and sinks. Declared here by
 * their user; adapters in `src/runtime/` and `src/probe/` implement them.
 *
 * @module
 */
import type {
  Command,
  EngineEvent,
  ExitStatus,
  InstanceSpec,
  Level,
  LogFileProblem,
  RuntimeKind,
  Usage,
} from "../domain/mod.ts";

/** What a runtime needs to start one instance: resolved in the domain (`domain/instance.ts`). */
export type { InstanceSpec } from "../domain/mod.ts";

/** Where a published port of an instance ended up on the host. */
export interface Endpoint {
  readonly containerPort: number;
  readonly protocol: "tcp" | "udp";
  readonly hostIp: string;
  readonly hostPort: number;
}

/** A running instance. */
export interface Handle {
  /** Process id (process runtime) or undefined. */
  readonly pid: number | undefined;
  /** Runtime-specific id: the pid, or a container id. */
  readonly id: string;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  /** Writes to the instance's stdin. */
  write(data: Uint8Array): Promise<void>;
  /** Sends `signal`, then kills everything left after `timeoutMs`. Resolves once all is gone. */
  stop(options: { signal: string; timeoutMs: number }): Promise<ExitStatus>;
  /** Kills at once, every process of the instance. */
  kill(): void;
  /** CPU and memory of everything the instance runs, when the runtime can tell. */
  usage?(): Usage | undefined;
  /** The host ports the runtime published for the instance (containers), as they ended up. */
  readonly endpoints?: readonly Endpoint[];
  /** Runs a command inside the instance (containers: a `cmd` probe with `inContainer`). */
  exec?(command: Command, options: { timeoutMs: number }): Promise<CommandResult>;
  readonly exited: Promise<ExitStatus>;
}

/** Starts instances: one per runtime kind. */
export interface Runtime {
  /** `onNote` receives what the runtime does on the way (an image pull's progress). */
  start(
    spec: InstanceSpec,
    options: { signal?: AbortSignal; onNote?: (line: string) => void },
  ): Promise<Handle>;
  /** Releases what the runtime holds (helpers, connections). */
  close?(): Promise<void>;
}

/** The result of running a command to completion. */
export interface CommandResult {
  readonly code: number | null;
  readonly output: string;
  readonly timedOut: boolean;
  /** Set when the command could not be run at all (not found, bad directory). */
  readonly error?: string;
}

/** Runs short commands: probes and hooks. */
export interface CommandRunner {
  run(
    command: Command,
    options: {
      readonly cwd: string;
      readonly env: Readonly<Record<string, string>>;
      readonly timeoutMs: number;
      readonly signal?: AbortSignal;
    },
  ): Promise<CommandResult>;
}

/**
 * Where the engine's log lines go: what instances write, and orch's own notes about them. The log
 * hub (`src/log/hub.ts`) is one.
 */
export interface LogSink {
  /** Records one line an instance wrote. */
  line(service: string, replica: number, stream: "stdout" | "stderr", msg: string): void;
  /** Records a line of orch's own about an instance (`level` defaults to info). */
  note(service: string, replica: number, msg: string, level?: Level): void;
  /**
   * Reads one of an instance's streams into the log, line by line, until it ends or `signal`
   * aborts (the reader is cancelled then); `onLine` sees each line after it is recorded.
   */
  pump(
    service: string,
    replica: number,
    stream: ReadableStream<Uint8Array>,
    name: "stdout" | "stderr",
    options: { readonly signal?: AbortSignal; readonly onLine?: (line: string) => void },
  ): Promise<void>;
  /** Why the service's `logFile` cannot be written now (for its status); undefined when it can. */
  logFileProblem?(service: string): LogFileProblem | undefined;
}

/** Time, injectable for tests. */
export interface Clock {
  now(): number;
  /** Calls `fn` after `ms`; returns a cancel function. */
  setTimer(ms: number, fn: () => void): () => void;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const id = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(id);
  },
};

/** What a probe found, and how long it took. A probe that could not run is an `error`, not a `fail`. */
export interface ProbeResult {
  readonly outcome: "ok" | "fail" | "error";
  readonly detail: string;
  readonly latencyMs: number;
}

/** One check to make, per-instance variables expanded. */
export type ProbeTarget =
  | { readonly kind: "http"; readonly probe: import("../domain/mod.ts").HttpProbe }
  | { readonly kind: "tcp"; readonly probe: import("../domain/mod.ts").TcpProbe }
  | {
    readonly kind: "cmd";
    readonly probe: import("../domain/mod.ts").CmdProbe;
    readonly cwd: string;
    readonly env: Readonly<Record<string, string>>;
    /** Runs the command somewhere else than on the host (inside a container). */
    readonly runner?: CommandRunner;
  };

/** Runs polled probes (http, tcp, cmd). Log probes are driven by the log stream. */
export interface Prober {
  check(
    target: ProbeTarget,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<ProbeResult>;
}

/** One ready replica that takes connections for a routed port. */
export interface Backend {
  /** The instance, e.g. `api.1`. */
  readonly id: string;
  readonly hostname: string;
  readonly port: number;
}

/** A host address orch listens on for a service. */
export interface RouteAddress {
  readonly hostname: string;
  readonly port: number;
}

/**
 * The routing mesh: spreads the connections to a service's published host port over its ready
 * replicas. The engine says which replicas are ready; the adapter listens and forwards.
 */
export interface Router {
  /**
   * Listens on `address` (unless it already does) and sends new connections to `backends` from
   * now on. With no backend, a new connection waits a moment for one, then is closed.
   *
   * @returns undefined, or why orch cannot listen there (it tries again on the next call).
   */
  route(address: RouteAddress, backends: readonly Backend[]): string | undefined;
  /** Stops listening on `address`; connections under way go on until either side ends them. */
  unroute(address: RouteAddress): void;
  /** Stops listening everywhere and closes every connection. */
  close(): Promise<void>;
}

/** The engine's collaborators: its ports, filled by the composition root (`src/cli/assemble.ts`). */
export interface EngineDeps {
  readonly runtimes: Partial<Record<RuntimeKind, Runtime>>;
  /** Runs hooks. */
  readonly runner: CommandRunner;
  readonly prober: Prober;
  readonly clock: Clock;
  readonly logs: LogSink;
  readonly emit: (event: EngineEvent) => void;
  /** Jitter of backoff delays; `Math.random` by default. */
  readonly random?: () => number;
  /** The environment instances inherit. */
  readonly baseEnv?: Readonly<Record<string, string>>;
  /**
   * Reads an env file (`envFromFile`) into variables.
   *
   * @throws when it cannot: the start fails, naming the file and why.
   */
  readonly readEnvFile?: (path: string) => Readonly<Record<string, string>>;
  /** The routing mesh: listens on published ports that orch routes (none without it). */
  readonly router?: Router;
}
