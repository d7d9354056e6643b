/**
 * The flows' commands against a running orch (local, or `--host` with a token): `orch flows`,
 * `orch runs`, `orch run show|cancel|retry`, `orch trigger EVENT`, `orch flow run FLOW [--wait]`
 * and `orch scheduler [status|pause|resume] [FLOW]`. Every read command has `--json`. They load no
 * config library.
 *
 * @module
 */
import type { FlowControl, TriggerInput } from "../control/mod.ts";
import {
  isRunEnded,
  parseTimeAgo,
  RUN_STATUSES,
  type RunRecord,
  type RunStatus,
  UsageError,
} from "../domain/mod.ts";
import { type ClientOptions, interruptible, withClient } from "./commands.ts";
import { withFlows } from "./flow_history.ts";
import { flowsTable, runLines, runsTable, schedulerLines } from "./flow_print.ts";
import type { CliIO } from "./io.ts";
import { styleOf } from "./style.ts";

/** `--json` and the client's options. */
export interface FlowReadOptions extends ClientOptions {
  readonly json?: boolean;
}

const out = (io: CliIO, value: unknown) => io.out(JSON.stringify(value, null, 2) + "\n");

/** A run id as typed. */
export function parseRunId(text: string | undefined): number {
  if (text === undefined || !/^[1-9]\d{0,15}$/.test(text)) {
    throw new UsageError(
      `"${text ?? ""}" is not a run id (a whole number from 1; orch runs lists them)`,
    );
  }
  return Number(text);
}

/** `--payload JSON`, parsed. */
export function parsePayload(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--payload: not JSON (${(error as Error).message}): ${text.slice(0, 80)}`);
  }
}

function triggerInput(options: { payload?: string; key?: string }): TriggerInput {
  const payload = parsePayload(options.payload);
  return {
    ...(payload !== undefined ? { payload } : {}),
    ...(options.key !== undefined ? { idempotencyKey: options.key } : {}),
  };
}

/** `orch flows`. */
export function flowsCommand(io: CliIO, options: FlowReadOptions): Promise<number> {
  return withFlows(io, options, async (control) => {
    const flows = await control.list();
    if (options.json) out(io, flows);
    else io.out(flowsTable(flows, Date.now(), styleOf(io, true)));
    return 0;
  });
}

/** Options of `orch runs`. */
export interface RunsOptions extends FlowReadOptions {
  readonly status?: string;
  readonly since?: string;
  readonly limit?: string;
}

/** `orch runs [FLOW]`. */
export function runsCommand(
  io: CliIO,
  flow: string | undefined,
  options: RunsOptions,
): Promise<number> {
  const status = options.status?.split(",").filter(Boolean) ?? [];
  const bad = status.find((s) => !(RUN_STATUSES as readonly string[]).includes(s));
  if (bad !== undefined) {
    throw new UsageError(`--status: "${bad}" is not one of ${RUN_STATUSES.join(", ")}`);
  }
  let since: number | undefined;
  if (options.since !== undefined) {
    since = parseTimeAgo(options.since, Date.now());
    if (since === undefined) {
      throw new UsageError(
        `--since: "${options.since}" is neither a duration (1h) nor an ISO time`,
      );
    }
  }
  const limit = options.limit === undefined ? 50 : Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new UsageError(`--limit: "${options.limit}" is not a whole number from 1 to 1000`);
  }
  return withFlows(io, options, async (control) => {
    const page = await control.runs({
      ...(flow !== undefined ? { flow } : {}),
      ...(status.length ? { status: status as RunStatus[] } : {}),
      ...(since !== undefined ? { since } : {}),
      limit,
    });
    if (options.json) out(io, page);
    else io.out(runsTable(page.runs, Date.now(), styleOf(io, true)));
    return 0;
  });
}

/** Options of `orch run ACTION ID`. */
export interface RunActionOptions extends FlowReadOptions {
  readonly from?: string;
  readonly only?: boolean;
  readonly wait?: boolean;
}

/** `orch run show|cancel|retry ID`. */
export function runActionCommand(
  io: CliIO,
  action: string,
  idText: string | undefined,
  options: RunActionOptions,
): Promise<number> {
  if (!["show", "cancel", "retry"].includes(action)) {
    throw new UsageError(
      `orch run ${action}: use orch run show|cancel|retry ID, or orch run --jobs DIR`,
    );
  }
  const id = parseRunId(idText);
  if (action === "show") {
    return withFlows(io, options, async (control) => {
      const detail = await control.run(id);
      if (options.json) out(io, detail);
      else io.out(runLines(detail, Date.now(), styleOf(io, true)));
      return 0;
    });
  }
  return withClient(io, options, async (client) => {
    if (action === "cancel") {
      const run = await client.flows.cancel(id);
      if (options.json) out(io, { run });
      else io.out(`run ${id} of ${run.flow}: ${run.status}\n`);
      return 0;
    }
    const stream = options.wait ? await client.events() : undefined;
    try {
      const outcome = await client.flows.retry(id, {
        ...(options.from !== undefined ? { from: options.from } : {}),
        only: options.only,
      });
      const from = outcome.run.trigger.detail.replace(/^run \d+ from /, "");
      const what = options.only ? `task ${from} alone` : `from task ${from}`;
      if (!options.json) {
        io.out(`run ${outcome.run.id} of ${outcome.run.flow}: retries run ${id} ${what}\n`);
      }
      if (!stream) {
        if (options.json) out(io, outcome);
        return 0;
      }
      return await waitAndReport(io, client.flows, outcome.run, stream, options.json);
    } finally {
      stream?.close();
    }
  });
}

/** The exit status of an ended run: 0 when it succeeded (or was skipped), 1 otherwise. */
export function runExitCode(run: RunRecord): number {
  return run.status === "succeeded" || run.status === "skipped" ? 0 : 1;
}

/** Waits for `run` to end (through the events, subscribed before it was made), prints it. */
async function waitAndReport(
  io: CliIO,
  flows: FlowControl,
  run: RunRecord,
  events: AsyncIterable<{ type: string; run?: number; status?: string }> & { close(): void },
  json: boolean | undefined,
): Promise<number> {
  using interrupt = interruptible(io);
  const stop = () => events.close();
  interrupt.signal.addEventListener("abort", stop, { once: true });
  let ended: RunRecord | undefined = isRunEnded(run.status) ? run : undefined;
  if (!ended) {
    // It may have ended before the first event was read.
    const now = (await flows.run(run.id)).run;
    if (isRunEnded(now.status)) ended = now;
  }
  if (!ended) {
    for await (const event of events) {
      if (event.type === "run" && event.run === run.id && isRunEnded(event.status as RunStatus)) {
        break;
      }
    }
    if (interrupt.signal.aborted) {
      io.err(`orch: stopped waiting; run ${run.id} goes on (orch run cancel ${run.id} stops it)\n`);
      return 130;
    }
    ended = (await flows.run(run.id)).run;
  }
  const detail = await flows.run(ended.id);
  if (json) out(io, detail);
  else io.out(runLines(detail, Date.now(), styleOf(io, true)));
  return runExitCode(ended);
}

/** Options of `orch flow run` and `orch trigger`. */
export interface TriggerOptions extends FlowReadOptions {
  readonly payload?: string;
  readonly key?: string;
  readonly wait?: boolean;
}

/** `orch flow run FLOW [--payload JSON] [--wait]`. */
export function flowRunCommand(
  io: CliIO,
  action: string,
  flow: string | undefined,
  options: TriggerOptions,
): Promise<number> {
  if (action !== "run" || flow === undefined) {
    throw new UsageError("use orch flow run FLOW [--payload JSON] [--wait]");
  }
  const input = triggerInput(options);
  return withClient(io, options, async (client) => {
    const stream = options.wait ? await client.events() : undefined;
    try {
      const { run, created } = await client.flows.trigger(flow, input);
      if (!options.json) {
        const again = created ? "" : ` (the run of idempotency key ${options.key})`;
        const why = run.reason ? `: ${run.reason}` : "";
        io.out(`run ${run.id} of ${flow}: ${run.status}${why}${again}\n`);
      }
      if (!stream) {
        if (options.json) out(io, { run, created });
        return run.status === "skipped" ? 1 : 0;
      }
      return await waitAndReport(io, client.flows, run, stream, options.json);
    } finally {
      stream?.close();
    }
  });
}

/** `orch trigger EVENT --payload JSON` (Conducktor's): every flow listening to it runs. */
export function triggerCommand(io: CliIO, event: string, options: TriggerOptions): Promise<number> {
  const input = triggerInput(options);
  return withClient(io, options, async (client) => {
    const runs = await client.flows.publish(event, input);
    if (options.json) out(io, { event, runs });
    else if (runs.length === 0) io.out(`event ${event}: no flow listens to it\n`);
    else {
      for (const { run } of runs) {
        io.out(
          `event ${event}: run ${run.id} of ${run.flow}: ${run.status}${
            run.reason ? `: ${run.reason}` : ""
          }\n`,
        );
      }
    }
    return runs.length === 0 ? 1 : 0;
  });
}

/** `orch scheduler [status|pause|resume] [FLOW]`. */
export function schedulerCommand(
  io: CliIO,
  action: string | undefined,
  flow: string | undefined,
  options: FlowReadOptions,
): Promise<number> {
  const verb = action ?? "status";
  if (!["status", "pause", "resume"].includes(verb)) {
    throw new UsageError(`orch scheduler ${verb}: use status, pause [FLOW] or resume [FLOW]`);
  }
  return withClient(io, options, async (client) => {
    const state = verb === "status"
      ? await client.flows.scheduler()
      : await client.flows[verb as "pause" | "resume"](flow);
    if (options.json) out(io, state);
    else {
      if (verb !== "status") {
        io.out(`${flow ?? "scheduler"}: ${verb === "pause" ? "paused" : "resumed"}\n`);
      }
      io.out(schedulerLines(state));
    }
    return 0;
  });
}
