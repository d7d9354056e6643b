/**
 * Serving a running stack: the Controller over the engine, the log hub and the config loader, and
 * the control API on the project's unix socket (mode 0600) and optionally on TCP with tokens.
 *
 * @module
 */
import type { Controller, RunInfo } from "../api/controller.ts";
import { createHandler } from "../api/handler.ts";
import { UsageError } from "../domain/errors.ts";
import type { EngineEvent } from "../domain/state.ts";
import type { Engine } from "../engine/engine.ts";
import { Broadcast } from "../log/channel.ts";
import type { LogHub } from "../log/hub.ts";
import { loadStack } from "../config/load.ts";
import { VERSION } from "../version.ts";

/** What the controller needs. */
export interface ControllerDeps {
  readonly engine: Engine;
  readonly logs: LogHub;
  readonly project: string;
  readonly files: readonly string[];
  /** Compose profiles and Procfile counts `up` was given, for reloads (`apply`). */
  readonly loadOptions?: { profiles?: readonly string[]; formation?: Record<string, number> };
  readonly startedAt: number;
  readonly env: (name: string) => string | undefined;
  /** Starts the ordered shutdown (with the caller's narration). */
  readonly shutdown: (timeoutMs?: number) => void;
}

/** The engine's events, fanned out to API subscribers. */
export class EventBus {
  readonly #broadcast = new Broadcast<EngineEvent>();

  readonly publish = (event: EngineEvent): void => this.#broadcast.publish(event);

  subscribe(): AsyncIterable<EngineEvent> & { close(): void } {
    return this.#broadcast.subscribe({
      capacity: 10_000,
      dropped: (count) => ({ type: "dropped", ts: Date.now(), consumer: "events", count }),
    });
  }

  close(): void {
    this.#broadcast.close();
  }
}

/** The controller of a running stack. */
export function makeController(deps: ControllerDeps, bus: EventBus): Controller {
  const { engine, logs } = deps;
  let files = deps.files;
  const load = async (given?: readonly string[]) => {
    const chosen = given && given.length > 0 ? given : files;
    const loaded = await loadStack(chosen, {
      cwd: deps.project,
      env: deps.env,
      ...deps.loadOptions,
    });
    return loaded;
  };
  return {
    info: (): RunInfo => ({
      stack: engine.stack.name,
      version: VERSION,
      pid: Deno.pid,
      startedAt: deps.startedAt,
      phase: engine.stopping ? "stopping" : "running",
      project: deps.project,
      files,
      ...(logs.persistence() ? { logs: logs.persistence() } : {}),
    }),
    status: (options) => engine.status(options),
    services: () =>
      Object.values(engine.stack.services).map((s) => ({
        name: s.name,
        kind: s.kind,
        runtime: s.runtime,
        replicas: s.replicas,
        enabled: s.enabled,
        dependsOn: s.dependsOn.map((d) => d.target),
      })),
    start: (name) => engine.startService(name),
    stop: async (name) => {
      engine.stopService(name);
      await engine.settledService(name);
    },
    restart: (name) => engine.restart(name),
    scale: (name, replicas) => engine.scale(name, replicas),
    send: (name, text) => engine.send(name, text),
    plan: async (given) => engine.plan((await load(given)).stack),
    apply: async (given) => {
      const loaded = await load(given);
      const result = await engine.apply(loaded.stack);
      files = loaded.files;
      return result;
    },
    logs: (query, tail) => logs.query(query, tail),
    followLogs: (query) => logs.subscribe("api", { filter: query, capacity: 10_000 }),
    events: () => bus.subscribe(),
    shutdown: (timeoutMs) => deps.shutdown(timeoutMs),
  };
}

/** A running API server. */
export interface ApiServer {
  readonly socket: string;
  readonly listen?: string;
  close(): Promise<void>;
}

/** Serves the controller on `socket` and, when asked, on a TCP address with tokens. */
export async function serveApi(
  controller: Controller,
  options: {
    socket: string;
    listen?: string;
    tokens?: { admin: string; readOnly: string };
  },
): Promise<ApiServer> {
  try {
    await Deno.remove(options.socket);
  } catch {
    // no stale socket
  }
  const servers: Deno.HttpServer[] = [];
  const onError = (error: unknown) => {
    return new Response(
      JSON.stringify({ error: { kind: "internal", message: String(error) } }) + "\n",
      { status: 500 },
    );
  };
  // Create the socket with no access for others, then make sure of its mode.
  const oldUmask = Deno.umask(0o077);
  try {
    servers.push(Deno.serve({
      transport: "unix",
      path: options.socket,
      onListen: () => {},
      onError,
    }, createHandler(controller)));
  } finally {
    Deno.umask(oldUmask);
  }
  await Deno.chmod(options.socket, 0o600);
  let listen: string | undefined;
  if (options.listen) {
    const hp = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(options.listen.trim());
    const port = Number(hp?.[3]);
    if (!hp || !(port >= 0 && port <= 65535)) {
      throw new UsageError(`--listen: "${options.listen}" is not HOST:PORT`);
    }
    const host = hp[1] ?? (hp[2] || "127.0.0.1");
    const tcp = Deno.serve({
      hostname: host,
      port,
      onListen: () => {},
      onError,
    }, createHandler(controller, { tokens: options.tokens }));
    servers.push(tcp);
    listen = `${host.includes(":") ? `[${host}]` : host}:${tcp.addr.port}`;
  }
  return {
    socket: options.socket,
    listen,
    async close() {
      // Streams (logs -f, events) end when their sources close; do not wait long for stragglers.
      await Promise.race([
        Promise.all(servers.map((s) => s.shutdown())),
        new Promise((resolve) => setTimeout(resolve, 2000)),
      ]);
    },
  };
}
