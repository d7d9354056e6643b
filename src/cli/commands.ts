/**
 * The commands that talk to a running orch: status, list, events, start, stop, restart,
 * scale, send, apply and down. They load no config library, so they start fast.
 *
 * @module
 */
import type { HttpControl, StatusSnapshot } from "../control/mod.ts";
import { formatAge, formatBytes, parseDuration, sanitize, UsageError } from "../domain/mod.ts";
import { connect, findProject } from "./client.ts";
import { hostSetting, settingsFile } from "./settings.ts";
import type { CliIO } from "./io.ts";
import { runningBelow } from "./registry.ts";
import { LinePrinter, terminalCleaner } from "./printer.ts";
import { dirOf, findRunning, waitForExit } from "./state.ts";
import { type Style, styleOf } from "./style.ts";

/** Options every client command takes. */
export interface ClientOptions {
  readonly file?: readonly string[];
  readonly host?: string;
  readonly token?: string;
}

/** `path` made absolute against `cwd`. */
export function absolute(cwd: string, path: string): string {
  return path.startsWith("/") ? path : `${cwd.replace(/\/$/, "")}/${path}`;
}

/** The project a client command is about: `-f FILE`'s directory, or the nearest one with `.orch/`. */
export function projectOf(io: CliIO, options: ClientOptions): string {
  if (options.file && options.file.length > 0) return dirOf(absolute(io.cwd, options.file[0]));
  const found = findProject(io.cwd);
  if (found) return found;
  // Nothing here or above: the one stack this user runs below here (the README's demo, run from
  // the repository), when there is exactly one.
  const below = runningBelow(io.cwd, io.env);
  if (below.length === 1) return below[0];
  if (below.length > 1) {
    throw new UsageError(
      `no orch runs for ${io.cwd}, and several run below it: ${below.join(", ")}; ` +
        "name one with -f FILE, or run the command in its directory",
    );
  }
  return io.cwd;
}

/** Connects as the options say (`--host`/`ORCH_HOST`, `--token`/`ORCH_TOKEN`, or the socket). */
export async function open(io: CliIO, options: ClientOptions): Promise<HttpControl> {
  const host = hostSetting(options.host, io.env, options.host ? undefined : await settingsFile(io));
  const token = options.token ?? io.env("ORCH_TOKEN");
  return host ? connect({ host, token }) : connect({ project: projectOf(io, options) });
}

/** Runs `fn` with the control of the orch the options name, and closes it. */
export async function withClient(
  io: CliIO,
  options: ClientOptions,
  fn: (client: HttpControl) => Promise<number>,
): Promise<number> {
  const client = await open(io, options);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

/**
 * An abort signal that Ctrl-C fires, or stdout going away (`orch logs -f | head`), for commands
 * that follow a stream; dispose to let go.
 */
export function interruptible(io?: CliIO): { signal: AbortSignal } & Disposable {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  io?.outputGone?.addEventListener("abort", onSignal, { once: true });
  if (io?.outputGone?.aborted) stop.abort();
  return {
    signal: stop.signal,
    [Symbol.dispose]: () => {
      Deno.removeSignalListener("SIGINT", onSignal);
      io?.outputGone?.removeEventListener("abort", onSignal);
    },
  };
}

function stateColor(style: Style, state: string): (t: string) => string {
  if (state === "ready" || state === "completed") return style.green;
  if (state === "failed") return style.red;
  if (state === "backoff" || state === "waiting") return style.yellow;
  return (t) => t;
}

/** The status table. */
export function statusTable(
  status: Pick<StatusSnapshot, "now" | "services">,
  style: Style,
  wide = false,
): string {
  const header = ["SERVICE", "STATE", "READY", "REPL", "RESTARTS", "AGE"];
  if (wide) header.push("CPU", "MEM");
  header.push("MESSAGE");
  const rows = status.services.map((s) => {
    const row = [
      s.service,
      s.state,
      String(s.replicas > 0 && s.ready >= s.replicas),
      `${s.ready}/${s.replicas}`,
      String(s.restarts),
      formatAge(status.now - s.since),
    ];
    if (wide) {
      row.push(
        s.cpuSeconds !== undefined ? `${s.cpuSeconds.toFixed(1)}s` : "-",
        s.rssBytes !== undefined ? formatBytes(s.rssBytes) : "-",
      );
    }
    // A message may quote a service or a probe: no escape sequence reaches the table.
    row.push(sanitize(s.message));
    return row;
  });
  const widths = header.map((h, i) =>
    i === header.length - 1 ? 0 : Math.max(h.length, ...rows.map((r) => r[i].length))
  );
  const line = (cells: string[], colorize: boolean) =>
    cells.map((c, i) => {
      const padded = i === cells.length - 1 ? c : c.padEnd(widths[i]);
      return colorize && i === 1 ? stateColor(style, c)(padded) : padded;
    }).join("  ").trimEnd();
  return [style.bold(line(header, false)), ...rows.map((r) => line(r, true))].join("\n") + "\n";
}

/** `orch status`. */
export function statusCommand(
  io: CliIO,
  options: ClientOptions & { json?: boolean; wide?: boolean },
): Promise<number> {
  return withClient(io, options, async (client) => {
    const status = await client.status();
    if (options.json) {
      io.out(JSON.stringify(status, null, 2) + "\n");
      return 0;
    }
    const style = styleOf(io);
    io.out(
      `${style.bold(status.stack)}  ${status.phase}, up ${
        formatAge(status.now - status.startedAt)
      }, ` +
        `pid ${status.pid}\n`,
    );
    const logs = status.logs;
    if (logs?.failing) {
      io.out(style.red(
        `logs: writing ${logs.path} fails (${logs.error}); ${logs.lostRecords} record(s) lost\n`,
      ));
    } else if (logs?.lostRecords) {
      io.out(style.yellow(`logs: ${logs.lostRecords} record(s) lost earlier; writing resumed\n`));
    }
    const failing = new Map(
      status.instances.flatMap((i) => i.logFile ? [[i.service, i.logFile]] : []),
    );
    for (const [service, f] of failing) {
      io.out(style.red(
        `${sanitize(service)}: writing its logFile ${sanitize(f.path)} fails (${
          sanitize(f.error)
        })\n`,
      ));
    }
    io.out(statusTable(status, style, options.wide));
    return 0;
  });
}

/** `orch list`. */
export function listCommand(
  io: CliIO,
  options: ClientOptions & { json?: boolean },
): Promise<number> {
  return withClient(io, options, async (client) => {
    const services = await client.services();
    io.out(
      options.json
        ? JSON.stringify(services, null, 2) + "\n"
        : services.map((s) => `${s.name}\n`).join(""),
    );
    return 0;
  });
}

/** `orch events`. */
export function eventsCommand(
  io: CliIO,
  options: ClientOptions & { json?: boolean },
): Promise<number> {
  return withClient(io, options, async (client) => {
    const services = await client.services();
    const style = styleOf(io);
    const clean = terminalCleaner({ terminal: io.isTerminal, colors: style.enabled }) ??
      ((text: string) => text);
    const printer = new LinePrinter(services.map((s) => s.name), style, { clean });
    const multi = (name: string) => (services.find((s) => s.name === name)?.replicas ?? 1) > 1;
    using interrupt = interruptible(io);
    const events = await client.events();
    using _ = closing(events, interrupt.signal);
    io.err(`following events of ${client.where} (Ctrl-C to stop)\n`);
    for await (const event of events) {
      if (options.json) {
        io.out(JSON.stringify(event) + "\n");
        continue;
      }
      const text = event.type === "probe"
        ? printer.note(
          `${multi(event.service) ? `${event.service}.${event.replica}` : event.service} ` +
            `probe ${event.probe} ${event.outcome}: ${clean(event.detail)} (${event.latencyMs}ms)`,
        )
        : printer.event(event, multi);
      if (text) io.out(`${new Date(event.ts).toISOString().slice(11, 23)} ${text}`);
    }
    return 0;
  });
}

/** Closes `stream` when `signal` aborts (at once if it has); dispose to let go. */
export function closing(stream: { close(): void }, signal: AbortSignal): Disposable {
  const close = () => stream.close();
  if (signal.aborted) close();
  else signal.addEventListener("abort", close, { once: true });
  return { [Symbol.dispose]: () => signal.removeEventListener("abort", close) };
}

/** `orch start|stop|restart SERVICE...`. */
export function serviceCommand(
  io: CliIO,
  action: "start" | "stop" | "restart",
  services: readonly string[],
  options: ClientOptions,
): Promise<number> {
  return withClient(io, options, async (client) => {
    let names = services;
    if (names.length === 0) {
      if (action !== "restart") throw new UsageError(`orch ${action} needs a service name`);
      const all = await client.services();
      names = all.filter((s) => s.enabled).map((s) => s.name);
    }
    for (const name of names) {
      await client[action](name);
      const past = { start: "starting", stop: "stopped", restart: "restarted" }[action];
      io.out(`${name}: ${past}\n`);
    }
    return 0;
  });
}

/** `orch scale SERVICE=N...`. */
export function scaleCommand(
  io: CliIO,
  specs: readonly string[],
  options: ClientOptions,
): Promise<number> {
  const parsed = specs.map((spec) => {
    const match = /^([^=]+)=(\d+)$/.exec(spec);
    if (!match) throw new UsageError(`"${spec}" is not SERVICE=N`);
    return { service: match[1], replicas: Number(match[2]) };
  });
  if (parsed.length === 0) throw new UsageError("orch scale needs SERVICE=N");
  return withClient(io, options, async (client) => {
    for (const { service, replicas } of parsed) {
      await client.scale(service, replicas);
      io.out(`${service}: ${replicas} replica(s)\n`);
    }
    return 0;
  });
}

/** `orch send SERVICE TEXT`. */
export function sendCommand(
  io: CliIO,
  service: string,
  text: readonly string[],
  options: ClientOptions,
): Promise<number> {
  return withClient(io, options, async (client) => {
    const delivered = await client.send(service, text.join(" "));
    io.out(`sent to ${delivered} instance(s) of ${service}\n`);
    return 0;
  });
}

/** `orch down [--timeout D]`: stops the stack in order and waits for orch to exit. */
export async function downCommand(
  io: CliIO,
  options: ClientOptions & { timeout?: string },
): Promise<number> {
  const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout);
  if (timeoutMs === undefined && options.timeout !== undefined) {
    throw new UsageError(`--timeout: "${options.timeout}" is not a duration`);
  }
  const host = hostSetting(options.host, io.env, options.host ? undefined : await settingsFile(io));
  const project = projectOf(io, options);
  if (!host && !await findRunning(project)) {
    // No orch runs here; still kill what a crashed one may have left: processes, containers.
    const { cleanUpAfterCrash } = await import("./cleanup.ts");
    const said = await cleanUpAfterCrash(project, io.env("DOCKER_HOST"));
    io.out(said.length > 0 ? said.join("") : `nothing is running for ${project}\n`);
    return 0;
  }
  return await withClient(io, options, async (client) => {
    const status = await client.status();
    const printer = new LinePrinter(status.services.map((s) => s.service), styleOf(io));
    const multi = (name: string) => status.instances.filter((i) => i.service === name).length > 1;
    // Subscribed before the shutdown is asked for, so that no event of it is missed.
    const events = await client.events();
    const following = (async () => {
      try {
        for await (const event of events) {
          if (event.type === "state" && ["stopping", "stopped"].includes(event.state)) {
            io.out(printer.event(event, multi));
          }
        }
      } catch {
        // the stream ends when orch exits
      }
    })();
    await client.shutdown({ timeoutMs });
    await following;
    // The orch holds its project's lock until it exits: taking it is being told of the exit.
    if (!host) await waitForExit(project, 10_000);
    io.out(`${status.stack} is down\n`);
    return 0;
  });
}
