/**
 * `orch run --jobs DIR --api`: the control API of a scheduler that runs a jobs directory, on the
 * project's socket (and, with `--listen`, on TCP with tokens), so that every flows command, the
 * TUI and Petit's clients reach it as they reach `orch up`. A jobs directory has no services: its
 * service engine is empty (every service is unknown, and there is no stack to apply to).
 *
 * @module
 */
import type { EventCounters } from "../api/mod.ts";
import { localControl, localFlows, type ServiceEngine } from "../control/mod.ts";
import { ConflictError, noSuchService, type Stack } from "../domain/mod.ts";
import type { LogHub } from "../log/mod.ts";
import { processStart } from "../runtime/process/mod.ts";
import type { Scheduler } from "../schedule/mod.ts";
import type { SqliteHistory } from "../store/mod.ts";
import { VERSION } from "../version.ts";
import type { EventBus } from "./bus.ts";
import { serveApi } from "./serve.ts";
import {
  claim,
  loadTokens,
  removeRunFiles,
  type RunFile,
  socketPathFor,
  updateRunFile,
} from "./state.ts";

/** The service engine of a project with no services. */
export function noServices(stack: Stack, stopping: () => boolean): ServiceEngine {
  const none = (name: string): never => {
    throw noSuchService(name, undefined);
  };
  const noStack = (): never => {
    throw new ConflictError("orch run --jobs runs no services: there is no stack to apply to");
  };
  return {
    stack,
    get stopping() {
      return stopping();
    },
    status: () => [],
    startService: none,
    stopService: none,
    settledService: (name) => Promise.reject(noSuchService(name, undefined)),
    restart: (name) => Promise.reject(noSuchService(name, undefined)),
    scale: (name) => Promise.reject(noSuchService(name, undefined)),
    send: (name) => Promise.reject(noSuchService(name, undefined)),
    plan: noStack,
    apply: () => Promise.reject(noStack()),
  };
}

/** What the API of a jobs run is made of. */
export interface JobsApiParts {
  readonly project: string;
  readonly stack: Stack;
  readonly logs: LogHub;
  readonly bus: EventBus;
  readonly counters: EventCounters;
  readonly scheduler: Scheduler;
  readonly store: SqliteHistory;
  readonly flowNames: readonly string[];
  readonly jobs: string;
  readonly listen?: string;
  readonly token?: string;
  readonly env: (name: string) => string | undefined;
  /** Asks the run to stop (`orch down`, `POST /v1/shutdown`). */
  readonly shutdown: () => void;
  readonly say: (message: string) => void;
}

/** Serves the API; `close` stops serving and removes the run file. */
export async function serveJobsApi(parts: JobsApiParts): Promise<{ close(): Promise<void> }> {
  let stopping = false;
  const control = localControl({
    engine: noServices(parts.stack, () => stopping),
    logs: parts.logs,
    events: parts.bus,
    load: () => Promise.reject(new ConflictError("orch run --jobs has no stack files to load")),
    run: {
      version: VERSION,
      pid: Deno.pid,
      startedAt: Date.now(),
      project: parts.project,
      files: [parts.jobs],
    },
    shutdown: () => {
      stopping = true;
      parts.shutdown();
    },
    flows: localFlows(parts.scheduler, parts.store, { logs: parts.logs, dir: parts.project }),
    flowNames: () => parts.flowNames,
  });
  const socket = await socketPathFor(parts.project, parts.env);
  const base: RunFile = {
    pid: Deno.pid,
    socket,
    startedAt: Date.now(),
    version: VERSION,
    stack: parts.stack.name,
    files: [parts.jobs],
    procStart: processStart(Deno.pid),
  };
  await claim(parts.project, base);
  const tokens = parts.listen ? await loadTokens(parts.project, parts.token) : undefined;
  let server;
  try {
    server = await serveApi(control, {
      socket,
      listen: parts.listen,
      tokens,
      counters: parts.counters,
      note: (message) => parts.logs.note("orch", 0, message, "warn"),
    });
  } catch (error) {
    removeRunFiles(parts.project, base);
    throw error;
  }
  const run: RunFile = { ...base, ...(server.listen ? { listen: server.listen } : {}) };
  await updateRunFile(parts.project, run);
  parts.say(
    `control API on ${socket}` +
      (server.listen ? ` and http://${server.listen} (tokens in ${tokens!.file})` : ""),
  );
  return {
    async close() {
      stopping = true;
      await server.close();
      removeRunFiles(parts.project, run);
    },
  };
}
