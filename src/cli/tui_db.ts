/**
 * `orch tui --db FILE`: Petit's read-only dashboard over a history database with no orch running.
 * The file is opened read-only; the TUI's flows views read it again every second (so a scheduler
 * writing it elsewhere shows up), and every action says it needs a running orch. The control
 * behind it: flows, runs and task output (the attempts' log files) from the database, no services.
 *
 * @module
 */
import type {
  Control,
  FlowControl,
  FlowSummary,
  LogStream,
  RunsQuery,
  SchedulerState,
  StatusSnapshot,
  Stream,
} from "../control/mod.ts";
import {
  ForbiddenError,
  fromNdjson,
  type LogRecord,
  NotFoundError,
  OrchError,
  type OrchEvent,
  type RunRecord,
} from "../domain/mod.ts";
import { SqliteHistory } from "../store/mod.ts";
import { runTui } from "../tui/mod.ts";
import { VERSION } from "../version.ts";
import type { CliIO } from "./io.ts";
import { writeCapture } from "./tui.ts";

/** What the footer says when a key asks for an action. */
export const READ_ONLY =
  "read-only view of a history database: actions need a running orch (orch tui without --db)";

const refuse = () => Promise.reject(new ForbiddenError(READ_ONLY));

/** A stream with no items that ends when closed. */
function quiet<T>(): Stream<T> {
  const closed = Promise.withResolvers<IteratorResult<never>>();
  const iterator = (): AsyncIterator<never> => ({ next: () => closed.promise });
  return {
    [Symbol.asyncIterator]: iterator,
    batches: () => ({ [Symbol.asyncIterator]: iterator }),
    close: () => closed.resolve({ done: true, value: undefined }),
  };
}

/** Records as a log stream that ends after them. */
function recordStream(records: readonly LogRecord[]): LogStream {
  const enc = new TextEncoder();
  return {
    async *[Symbol.asyncIterator]() {
      yield* records;
    },
    async *batches() {
      if (records.length) yield records;
    },
    async *ndjson() {
      for (const r of records) yield enc.encode(`${JSON.stringify(r)}\n`);
    },
    close() {},
  };
}

/** The flows of a history database, read-only. */
export function dbFlows(store: SqliteHistory): FlowControl {
  const names = () => [...new Set(store.counts().map((c) => c.flow))].sort();
  const summary = (flow: string): FlowSummary => {
    const recent = store.runs({ flow, limit: 10 }).runs;
    const running = store.runs({ flow, status: ["running"], limit: 1000 }).runs;
    const queued = store.runs({ flow, status: ["queued"], limit: 1000 }).runs;
    return {
      name: flow,
      schedules: [],
      events: [],
      nextRuns: [],
      paused: store.flowMark(flow).paused,
      running: running.map((r) => r.id),
      queued: queued.length,
      ...(recent[0] ? { lastRun: recent[0] } : {}),
      recent: recent.map((r) => r.status),
    };
  };
  const known = (flow: string) => {
    if (!names().includes(flow)) throw new NotFoundError(`no flow named ${JSON.stringify(flow)}`);
  };
  const graphOf = (run: RunRecord) =>
    [...new Set(store.tasks(run.id).map((t) => t.task))].map((name) => ({
      name,
      runtime: "process",
      upstream: [],
      needs: [],
    }));
  const later = <T>(fn: () => T): Promise<T> => Promise.resolve().then(fn);
  const state = (): SchedulerState => {
    const counts = store.counts();
    const sum = (status: string) =>
      counts.filter((c) => c.status === status).reduce((a, c) => a + c.count, 0);
    const flows = names();
    return {
      paused: false,
      pausedFlows: flows.filter((f) => store.flowMark(f).paused),
      executors: { busy: 0, max: 0 },
      running: sum("running"),
      queued: sum("queued"),
      flows: flows.length,
      counts,
      lagMs: {},
    };
  };
  return {
    list: () => later(() => names().map(summary)),
    get: (name) =>
      later(() => {
        known(name);
        const last = store.runs({ flow: name, limit: 1 }).runs[0];
        return { ...summary(name), tasks: last ? graphOf(last) : [] };
      }),
    trigger: refuse,
    publish: refuse,
    exec: refuse,
    runs: (query: RunsQuery = {}) =>
      later(() => {
        const page = store.runs(query);
        return { runs: page.runs, ...(page.next !== undefined ? { next: page.next } : {}) };
      }),
    run: (id) =>
      later(() => {
        const run = store.run(id);
        if (!run) throw new NotFoundError(`no run ${id}`);
        return { run, tasks: store.tasks(id), graph: graphOf(run) };
      }),
    cancel: refuse,
    retry: refuse,
    scheduler: () => later(state),
    pause: refuse,
    resume: refuse,
  };
}

/** The output of a task in a run, from its attempts' log files. */
async function taskOutput(store: SqliteHistory, run: number, task: string, tail?: number) {
  const records: LogRecord[] = [];
  for (const row of store.tasks(run).filter((t) => t.task === task)) {
    if (!row.logPath) continue;
    let text = "";
    try {
      text = await Deno.readTextFile(row.logPath);
    } catch {
      continue; // pruned, or on another machine
    }
    for (const line of text.split("\n")) {
      if (!line) continue;
      try {
        records.push(fromNdjson(line));
      } catch {
        // a torn last line
      }
    }
  }
  return tail === undefined ? records : records.slice(-tail);
}

/** A control over a history database: flows and runs, no services, no actions. */
export function dbControl(path: string, store: SqliteHistory): Control {
  const startedAt = Date.now();
  const info = () => ({
    stack: path.slice(path.lastIndexOf("/") + 1),
    version: VERSION,
    pid: Deno.pid,
    startedAt,
    phase: "running" as const,
    project: path.slice(0, Math.max(1, path.lastIndexOf("/"))),
    files: [path],
  });
  return {
    where: path,
    flows: dbFlows(store),
    info: () => Promise.resolve(info()),
    status: (): Promise<StatusSnapshot> =>
      Promise.resolve({ ...info(), now: Date.now(), services: [], instances: [] }),
    services: () => Promise.resolve([]),
    service: (name) => Promise.reject(new NotFoundError(`no service named "${name}"`)),
    start: refuse,
    stop: refuse,
    restart: refuse,
    scale: refuse,
    send: refuse,
    plan: refuse,
    apply: refuse,
    logs: async (query, options = {}) =>
      recordStream(
        query.run !== undefined && query.task !== undefined
          ? await taskOutput(store, query.run, query.task, options.tail)
          : [],
      ),
    events: () => Promise.resolve(quiet<OrchEvent>()),
    shutdown: refuse,
    close: () => store.close(),
  };
}

/** `orch tui --db FILE`. */
export async function dbTuiCommand(io: CliIO, file: string): Promise<number> {
  if (!io.stdinIsTerminal || !io.isTerminal) {
    io.err("orch: tui needs a terminal (orch runs --json reads a running orch)\n");
    return 2;
  }
  const path = file.startsWith("/") ? file : `${io.cwd.replace(/\/$/, "")}/${file}`;
  try {
    Deno.statSync(path);
  } catch (error) {
    throw new OrchError(`cannot open the history database ${path}: ${(error as Error).message}`);
  }
  const store = new SqliteHistory(path, { readOnly: true });
  const control = dbControl(path, store);
  try {
    await runTui(control, io.terminal(), {
      ownsStack: false,
      save: (lines) => writeCapture(io.cwd, lines),
      view: "flows",
      readOnly: READ_ONLY,
    });
    return 0;
  } finally {
    control.close();
  }
}
