/**
 * The TUI's sources: a local engine (`orch up` on a terminal) and a running orch through its API
 * (`orch attach`), and the `attach` command.
 *
 * @module
 */
import { sanitize } from "../domain/escapes.ts";
import { fromNdjson, type LogRecord } from "../domain/log.ts";
import { summarize } from "../domain/status.ts";
import type { Engine } from "../engine/engine.ts";
import type { LogHub } from "../log/hub.ts";
import { runTui, type TuiSource } from "../tui/app.ts";
import { openTerminal } from "../tui/terminal.ts";
import type { Client } from "./client.ts";
import { type ClientOptions, open, statusTable } from "./commands.ts";
import type { CliIO } from "./io.ts";
import { LinePrinter, terminalCleaner } from "./printer.ts";
import type { Style } from "./style.ts";

const KEPT = 2_000;

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

async function writeCapture(dir: string, lines: readonly string[]): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/capture-${stamp()}.log`;
  await Deno.writeTextFile(path, lines.join("\n") + "\n", { mode: 0o600 });
  return path;
}

/** Records kept so far, then new ones, without a gap or a duplicate between the two. */
function pastThenLive(
  live: AsyncIterable<LogRecord> & { close(): void },
  past: readonly LogRecord[],
): AsyncIterable<LogRecord> & { close(): void } {
  const last = past.at(-1)?.seq ?? 0;
  const iterate = async function* () {
    yield* past;
    for await (const record of live) {
      if (record.seq > last || record.stream === "orch") yield record;
    }
  };
  return Object.assign(iterate(), { close: () => live.close() });
}

/** The engine of this process as a TUI source. */
export function localSource(
  engine: Engine,
  logs: LogHub,
  info: { startedAt: number; captureDir: string },
): TuiSource {
  return {
    snapshot: () => {
      const instances = engine.status({ usage: true });
      return Promise.resolve({
        stack: engine.stack.name,
        startedAt: info.startedAt,
        now: Date.now(),
        phase: engine.stopping ? "stopping" : "running",
        services: summarize(instances),
        instances,
      });
    },
    logs: () => {
      const live = logs.subscribe("tui", { capacity: 20_000 });
      return pastThenLive(live, logs.recent(undefined, KEPT));
    },
    act: async (command) => {
      switch (command.type) {
        case "restart":
          await engine.restart(command.service);
          return `restarted ${command.service}`;
        case "start":
          engine.startService(command.service);
          return `starting ${command.service}`;
        case "stop":
          engine.stopService(command.service);
          return `stopping ${command.service}`;
        case "send": {
          const n = await engine.send(command.service, command.text);
          return `sent to ${n} instance(s) of ${command.service}`;
        }
      }
    },
    save: (lines) => writeCapture(info.captureDir, lines),
  };
}

/** Lines of a failed service shown after the TUI closes. */
const LAST_LINES = 5;

/**
 * What `orch up` leaves on the normal screen when its TUI closes: the final status table, and
 * the last lines of every service that failed.
 */
export function finalReport(
  engine: Engine,
  logs: LogHub,
  style: Style,
  services: readonly string[],
): string {
  const summaries = summarize(engine.status({ usage: false }));
  let text = statusTable({ now: Date.now(), services: summaries }, style);
  const printer = new LinePrinter(services, style, {
    clean: terminalCleaner({ terminal: true, colors: style.enabled }),
  });
  for (const failed of summaries.filter((s) => s.state === "failed")) {
    const output = logs.recent({ services: [failed.service] }, 200)
      .filter((r) => r.stream !== "orch").slice(-LAST_LINES);
    if (output.length === 0) continue;
    text += `\n${style.red(`${failed.service} failed`)}${
      failed.message ? ` (${sanitize(failed.message)})` : ""
    }; its last lines:\n`;
    for (const record of output) text += printer.record(record, failed.replicas > 1);
  }
  return text;
}

/** A running orch, through its API, as a TUI source. */
export function remoteSource(client: Client, captureDir: string): TuiSource {
  return {
    snapshot: () => client.status(),
    logs: () => {
      const stop = new AbortController();
      const iterate = async function* () {
        for await (const line of client.lines(`/v1/logs?follow=true&tail=${KEPT}`, stop.signal)) {
          if (line) yield fromNdjson(line);
        }
      };
      return Object.assign(iterate(), { close: () => stop.abort() });
    },
    act: async (command) => {
      const path = `/v1/services/${encodeURIComponent(command.service)}/${command.type}`;
      if (command.type === "send") {
        const { delivered } = await client.json<{ delivered: number }>("POST", path, {
          text: command.text,
        });
        return `sent to ${delivered} instance(s) of ${command.service}`;
      }
      await client.json("POST", path);
      return `${
        command.type === "restart" ? "restarted" : `${command.type} asked for`
      } ${command.service}`;
    },
    save: (lines) => writeCapture(captureDir, lines),
  };
}

/** `orch attach`: the TUI on a running stack; quitting leaves the stack running. */
export async function attachCommand(io: CliIO, options: ClientOptions): Promise<number> {
  if (!Deno.stdin.isTerminal() || !Deno.stdout.isTerminal()) {
    io.err("orch: attach needs a terminal (try orch status, orch logs -f)\n");
    return 2;
  }
  const client = await open(io, options);
  try {
    await client.status(); // fail before taking over the screen
    const watching = new AbortController();
    const ended = (async () => {
      // The TUI closes when the orch goes away: the event stream ends with it.
      try {
        for await (const _ of client.events(watching.signal)) { /* keep reading */ }
      } catch {
        // gone
      }
    })();
    try {
      await runTui(remoteSource(client, io.cwd), openTerminal(), { ownsStack: false, ended });
    } finally {
      watching.abort();
      await ended;
    }
    return 0;
  } finally {
    client.close();
  }
}
