/**
 * orch as an init (PID 1, or `orch up --init`): what `orch up` adds around the engine.
 *
 * - The reaper collects every orphan re-parented to orch; not PID 1, orch first makes itself a
 *   child subreaper so that its services' orphans come to it rather than to the real init.
 *   Without `--allow-ffi` (or off Linux) this degrades, saying so in one line.
 * - PID 1 with no `orch` on the PATH installs it into /usr/local/bin (`orch install`), so that
 *   `docker exec CONTAINER orch status` works.
 * - In every mode: SIGQUIT kills every service at once, and `--forward SIG:service` passes other
 *   signals on to a service's running instances (a process's whole group, a container's main
 *   process).
 *
 * @module
 */
import { type EngineEvent, type Stack, UsageError } from "../domain/mod.ts";
import type { Engine } from "../engine/mod.ts";
import { openLibc, Reaper } from "../runtime/process/mod.ts";
import { exitStatusOf, RequiredExit, signalNumber } from "./exit_status.ts";
import { deferInitSignals, takeInitSignals } from "./init_signals.ts";
import { requireAll, upNeeds } from "./permissions.ts";
import { DEFAULT_INSTALL_DIR, install, onPath } from "./install.ts";

/** A signal passed on to a service. */
export interface Forward {
  readonly signal: Deno.Signal;
  readonly service: string;
}

/** Signals orch keeps for itself (or that cannot be caught): never forwarded. */
const RESERVED = new Set([
  "SIGTERM",
  "SIGINT",
  "SIGHUP",
  "SIGQUIT",
  "SIGCHLD",
  "SIGKILL",
  "SIGSTOP",
  "SIGSEGV",
  "SIGILL",
  "SIGFPE",
  "SIGBUS",
]);

/**
 * Parses `--forward` values (`USR2:app`, `SIGWINCH:web`) against the stack's services.
 *
 * @throws UsageError naming the value, for an unknown signal or service, or a reserved signal.
 */
export function parseForwards(
  specs: readonly string[],
  services: readonly string[],
): Forward[] {
  return specs.map((spec) => {
    const colon = spec.indexOf(":");
    if (colon <= 0 || colon === spec.length - 1) {
      throw new UsageError(`--forward ${spec}: expected SIGNAL:SERVICE, e.g. USR2:app`);
    }
    const raw = spec.slice(0, colon).toUpperCase();
    const signal = raw.startsWith("SIG") ? raw : `SIG${raw}`;
    const service = spec.slice(colon + 1);
    if (signalNumber(signal) === undefined) {
      throw new UsageError(`--forward ${spec}: unknown signal "${spec.slice(0, colon)}"`);
    }
    if (RESERVED.has(signal)) {
      throw new UsageError(
        `--forward ${spec}: ${signal} cannot be forwarded (orch handles it itself)`,
      );
    }
    if (!services.includes(service)) {
      throw new UsageError(`--forward ${spec}: no service named "${service}"`);
    }
    return { signal: signal as Deno.Signal, service };
  });
}

/** What `startInit` needs from `orch up`. */
export interface InitContext {
  readonly engine: Engine;
  /** Prints one of orch's own notes. */
  readonly say: (text: string) => void;
  readonly env: (name: string) => string | undefined;
}

/** Options of `startInit`. */
export interface InitOptions {
  /** Act as an init although not PID 1. */
  readonly init?: boolean;
  readonly forwards?: readonly Forward[];
}

/** What `startInit` started; `close` undoes it. */
export interface InitHandle {
  /** The signal that made orch kill everything at once (SIGQUIT), if one did. */
  readonly killedBy: string | undefined;
  /** The reaper, when orch reaps orphans. */
  readonly reaper: Reaper | undefined;
  close(): void;
}

function sendTo(engine: Engine, forward: Forward, say: (text: string) => void): void {
  const docker = engine.stack.services[forward.service]?.runtime === "docker";
  const pids = engine.status().filter((i) => i.service === forward.service && i.pid)
    .map((i) => i.pid!);
  if (pids.length === 0) {
    say(`${forward.signal}: ${forward.service} has no running instance to forward it to`);
    return;
  }
  for (const pid of pids) {
    try {
      Deno.kill(docker ? pid : -pid, forward.signal);
    } catch {
      try {
        Deno.kill(pid, forward.signal);
      } catch (error) {
        say(`${forward.signal}: cannot forward to ${forward.service}: ${(error as Error).message}`);
      }
    }
  }
}

/** Starts the init duties for one run of `orch up`. Call before the engine starts. */
export function startInit(ctx: InitContext, options: InitOptions = {}): InitHandle {
  const { engine, say } = ctx;
  const pid1 = Deno.pid === 1;
  let reaper: Reaper | undefined;
  let libcClose: (() => void) | undefined;
  if (pid1 || options.init) {
    const opened = openLibc();
    if ("reason" in opened) {
      say(`init: ${opened.reason}: orphans re-parented to orch are not reaped (they stay zombies)`);
    } else {
      const { libc } = opened;
      libcClose = () => libc.close();
      if (!pid1 && !libc.setChildSubreaper()) {
        say("init: the kernel refused PR_SET_CHILD_SUBREAPER: orphans go to the real init");
      }
      reaper = new Reaper(libc);
      reaper.start();
    }
    if (pid1 && !onPath(ctx.env("PATH"))) {
      try {
        install(DEFAULT_INSTALL_DIR);
      } catch (error) {
        say(`init: orch is not on the PATH and ${(error as Error).message}`);
      }
    }
  }

  let killedBy: string | undefined;
  const onQuit = () => {
    killedBy = "SIGQUIT";
    say("SIGQUIT: killing every service now");
    engine.kill();
    if (!engine.stopping) void engine.shutdown();
  };
  const listeners: [Deno.Signal, () => void][] = [["SIGQUIT", onQuit]];
  for (const forward of options.forwards ?? []) {
    listeners.push([forward.signal, () => sendTo(engine, forward, say)]);
  }
  for (const [signal, listener] of listeners) Deno.addSignalListener(signal, listener);

  return {
    get killedBy() {
      return killedBy;
    },
    reaper,
    close() {
      for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
      reaper?.close();
      libcClose?.();
    },
  };
}

/** The options of `orch up` that concern orch as an init. */
export interface UpInitOptions {
  /** Act as an init (reap orphans, subreaper) although not PID 1. */
  readonly init?: boolean;
  /** `SIGNAL:SERVICE` pairs: signals passed on to a service's instances. */
  readonly forward?: readonly string[];
}

/**
 * Everything `orch up` does as an init, in the order it needs it: made before the stack is loaded
 * (signals from then on are kept), `prepare`d with the stack (checks `--forward` and the
 * permissions), fed every engine event (`observe`), `start`ed before the engine, and asked for the
 * exit status at the end.
 */
export class UpInit {
  readonly #options: UpInitOptions;
  #forwards: Forward[] = [];
  #exits: RequiredExit | undefined;
  #handle: InitHandle | undefined;
  /** The signal that made `orch up` kill everything at once, if one did. */
  killedBy: string | undefined;

  constructor(options: UpInitOptions) {
    this.#options = options;
    deferInitSignals();
  }

  /** Checks the stack against the options and the permissions `up` needs. */
  prepare(stack: Stack): void {
    this.#forwards = parseForwards(this.#options.forward ?? [], Object.keys(stack.services));
    this.#exits = new RequiredExit(stack.services);
    requireAll("up", upNeeds());
  }

  /** Takes one engine event. */
  observe(event: EngineEvent): void {
    this.#exits?.observe(event);
  }

  /** Starts the init duties; call before the engine starts. */
  start(ctx: InitContext): void {
    this.#handle = startInit(ctx, { init: this.#options.init, forwards: this.#forwards });
  }

  /** Hands the signals kept since the start to `onSignal`, in order. */
  replay(onSignal: (signal: Deno.Signal) => void): void {
    for (const signal of takeInitSignals()) onSignal(signal);
  }

  /** orch's exit status for the run (see exit_status.ts). */
  exitStatus(outcomeCode: number, stoppedOnRequest: boolean): number {
    return exitStatusOf({
      outcomeCode,
      stoppedOnRequest,
      killedBy: this.killedBy ?? this.#handle?.killedBy,
      required: this.#exits?.requiredStatus(),
    });
  }

  /** Undoes `start`. */
  close(): void {
    this.#handle?.close();
  }
}
