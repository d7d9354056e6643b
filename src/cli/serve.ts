/**
 * Serving a running stack: its control (over the engine, the log hub, the event bus and the config
 * loader), and the control API on the project's unix socket (mode 0600) and optionally on TCP with
 * tokens.
 *
 * @module
 */
import { bodyLimit, createHandler, type EventCounters } from "../api/mod.ts";
import { type Control, localControl } from "../control/mod.ts";
import { DEFAULTS, type HttpServer, type HttpServerOptions, serveHttp } from "./http_server.ts";
import { descriptorLimit } from "./limits.ts";
import { UsageError } from "../domain/mod.ts";
import type { Engine } from "../engine/mod.ts";
import type { LogHub } from "../log/mod.ts";
import { loadSource } from "./apply_source.ts";
import type { EventBus } from "./bus.ts";
import { VERSION } from "../version.ts";

/** What the control of a running stack is made of. */
export interface ControlDeps {
  readonly engine: Engine;
  readonly logs: LogHub;
  readonly bus: EventBus;
  readonly project: string;
  readonly files: readonly string[];
  /** Compose profiles and Procfile counts `up` was given, for reloads (`apply`). */
  readonly loadOptions?: { profiles?: readonly string[]; formation?: Record<string, number> };
  readonly startedAt: number;
  readonly env: (name: string) => string | undefined;
  /** Starts the ordered shutdown (with the caller's narration). */
  readonly shutdown: (timeoutMs?: number) => void;
}

/**
 * The control of the stack this process runs: the engine, the log hub, the event bus, and the
 * config loader confined to the project (see apply_source.ts).
 */
export function makeControl(deps: ControlDeps): Control {
  return localControl({
    engine: deps.engine,
    logs: deps.logs,
    events: deps.bus,
    load: (source, runFiles) =>
      loadSource({
        project: deps.project,
        runFiles,
        env: deps.env,
        loadOptions: deps.loadOptions,
      }, source),
    run: {
      version: VERSION,
      pid: Deno.pid,
      startedAt: deps.startedAt,
      project: deps.project,
      files: deps.files,
    },
    shutdown: deps.shutdown,
  });
}

/** How the API is served, for what serves beside it on listeners of its own (the dashboard). */
export interface ApiServing {
  /** The API's handler with these tokens. */
  readonly api: (tokens: { admin: string; readOnly: string }) => Handler;
  /** A listener's limits, as the API's. */
  readonly limits: Omit<HttpServerOptions, "name">;
}

/** What serves beside the API on its listeners: the web dashboard (src/cli/ui.ts). */
export interface ApiSites {
  attach(serving: ApiServing): void;
  /** The handler of the unix socket around the API's. */
  socket(api: Handler): Handler;
  /** The handler of a TCP listener with tokens around the API's. */
  tcp(api: Handler, tokens: { admin: string; readOnly: string }, listen: string): Handler;
  close(): Promise<void>;
}

type Handler = (request: Request) => Promise<Response>;

/** A running API server. */
export interface ApiServer {
  readonly socket: string;
  readonly listen?: string;
  close(): Promise<void>;
}

/** Whether a host is this machine only (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  return /^127\.\d+\.\d+\.\d+$/.test(host) || host === "::1" || host === "localhost";
}

/** Warns, on stderr, that a listener on a non-loopback address can be reached from elsewhere. */
export function warnIfExposed(io: { err(text: string): void }, listen: string): void {
  const { host } = parseListen(listen);
  if (isLoopback(host)) return;
  io.err(
    `warning: --listen ${listen} accepts connections from other machines; whoever holds the ` +
      `admin token there can run any command as this user (use 127.0.0.1 unless you mean it)\n`,
  );
}

/** Parses `HOST:PORT` (`[::1]:7070`, `:7070` for 127.0.0.1). */
export function parseListen(listen: string): { host: string; port: number } {
  const hp = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen.trim());
  const port = Number(hp?.[3]);
  if (!hp || !(port >= 0 && port <= 65535)) {
    throw new UsageError(`--listen: "${listen}" is not HOST:PORT`);
  }
  return { host: hp[1] ?? (hp[2] || "127.0.0.1"), port };
}

/**
 * Serves the control on `socket` and, when asked, on a TCP address with tokens. Each listener
 * is bounded (see http_server.ts); its problems (out of descriptors, at its connection limit) and
 * internal errors go to `note`, orch's own log.
 */
export async function serveApi(
  control: Control,
  options: {
    socket: string;
    /** Counts from the event bus, for `/metrics`. */
    counters?: EventCounters;
    listen?: string;
    tokens?: { admin: string; readOnly: string };
    note?: (message: string) => void;
    limits?: Omit<HttpServerOptions, "name" | "report" | "bodyLimit">;
    /** Served beside the API (the dashboard). */
    sites?: ApiSites;
  },
): Promise<ApiServer> {
  try {
    await Deno.remove(options.socket);
  } catch {
    // no stale socket
  }
  const note = options.note ?? (() => {});
  const soft = descriptorLimit()?.soft ?? 1024;
  // Connections may take an eighth of the descriptors each: services and files keep the rest.
  const maxConnections = options.limits?.maxConnections ??
    Math.max(8, Math.min(DEFAULTS.maxConnections, Math.floor(soft / 8)));
  const limits = { ...options.limits, maxConnections, bodyLimit, report: note };
  const onInternalError = (error: unknown) =>
    note(`control API: internal error: ${(error as Error)?.stack ?? error}`);
  const sites = options.sites;
  sites?.attach({
    api: (tokens) =>
      createHandler(control, { tokens, onInternalError, counters: options.counters }),
    limits,
  });
  const servers: HttpServer[] = [];
  // Create the socket with no access for others, then make sure of its mode.
  const oldUmask = Deno.umask(0o077);
  let unix: Deno.Listener;
  try {
    unix = Deno.listen({ transport: "unix", path: options.socket });
  } finally {
    Deno.umask(oldUmask);
  }
  await Deno.chmod(options.socket, 0o600);
  const unixApi = createHandler(control, { onInternalError, counters: options.counters });
  servers.push(
    serveHttp(unix, sites ? sites.socket(unixApi) : unixApi, { ...limits, name: options.socket }),
  );
  let listen: string | undefined;
  if (options.listen) {
    const { host, port } = parseListen(options.listen);
    let tcp: Deno.Listener;
    try {
      tcp = Deno.listen({ hostname: host, port });
    } catch (error) {
      for (const server of servers) await server.close(0);
      throw error;
    }
    listen = `${host.includes(":") ? `[${host}]` : host}:${(tcp.addr as Deno.NetAddr).port}`;
    const tcpApi = createHandler(control, {
      tokens: options.tokens,
      onInternalError,
      counters: options.counters,
    });
    const tokens = options.tokens;
    servers.push(
      serveHttp(tcp, sites && tokens ? sites.tcp(tcpApi, tokens, listen) : tcpApi, {
        ...limits,
        name: listen,
      }),
    );
  }
  return {
    socket: options.socket,
    listen,
    async close() {
      // Streams (logs -f, events) end when their sources close; do not wait long for stragglers.
      await Promise.all([...servers.map((s) => s.close(2000)), sites?.close()]);
    },
  };
}
