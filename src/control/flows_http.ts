/**
 * The flows' control over HTTP: a client of a running orch's `/v1/flows`, `/v1/runs`,
 * `/v1/events/NAME` and `/v1/scheduler` routes. Errors come back as the serving orch raised them.
 *
 * @module
 */
import type { RunRecord } from "../domain/mod.ts";
import type {
  ExecEvent,
  ExecInput,
  ExecStream,
  FlowControl,
  FlowDetail,
  FlowSummary,
  RunDetail,
  RunsPage,
  RunsQuery,
  SchedulerState,
  TriggerInput,
  TriggerOutcome,
} from "./flows.ts";

/** What this needs of the HTTP client: a request whose answer is JSON, or lines as they come. */
export interface JsonClient {
  json<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** The lines of a streaming answer, until it ends or `signal` aborts. */
  lines(
    method: string,
    path: string,
    body: unknown,
    signal: AbortSignal,
  ): Promise<AsyncGenerator<string>>;
}

const enc = encodeURIComponent;

/** The body of a trigger or an event: only what is given. */
function triggerBody(input: TriggerInput): Record<string, unknown> {
  return {
    ...(input.payload !== undefined ? { payload: input.payload } : {}),
    ...(input.idempotencyKey !== undefined ? { idempotencyKey: input.idempotencyKey } : {}),
  };
}

/** The query string of a runs query. */
export function runsParams(query: RunsQuery): URLSearchParams {
  const params = new URLSearchParams();
  if (query.flow !== undefined) params.set("flow", query.flow);
  if (query.status?.length) params.set("status", query.status.join(","));
  if (query.since !== undefined) params.set("since", new Date(query.since).toISOString());
  if (query.until !== undefined) params.set("until", new Date(query.until).toISOString());
  if (query.before !== undefined) params.set("before", String(query.before));
  if (query.limit !== undefined) params.set("limit", String(query.limit));
  return params;
}

/** The flows of the orch behind `client`. */
export class HttpFlows implements FlowControl {
  readonly #client: JsonClient;

  constructor(client: JsonClient) {
    this.#client = client;
  }

  async list(): Promise<FlowSummary[]> {
    return (await this.#client.json<{ flows: FlowSummary[] }>("GET", "/v1/flows")).flows;
  }

  get(name: string): Promise<FlowDetail> {
    return this.#client.json("GET", `/v1/flows/${enc(name)}`);
  }

  trigger(flow: string, input: TriggerInput = {}): Promise<TriggerOutcome> {
    return this.#client.json("POST", `/v1/flows/${enc(flow)}/trigger`, triggerBody(input));
  }

  async publish(event: string, input: TriggerInput = {}): Promise<TriggerOutcome[]> {
    const path = `/v1/events/${enc(event)}`;
    return (await this.#client.json<{ runs: TriggerOutcome[] }>("POST", path, triggerBody(input)))
      .runs;
  }

  runs(query: RunsQuery = {}): Promise<RunsPage> {
    const params = runsParams(query).toString();
    return this.#client.json("GET", `/v1/runs${params ? `?${params}` : ""}`);
  }

  run(id: number): Promise<RunDetail> {
    return this.#client.json("GET", `/v1/runs/${id}`);
  }

  async cancel(id: number): Promise<RunRecord> {
    return (await this.#client.json<{ run: RunRecord }>("POST", `/v1/runs/${id}/cancel`, {})).run;
  }

  retry(id: number, options: { readonly from?: string; readonly only?: boolean }) {
    const body = {
      ...(options.from !== undefined ? { from: options.from } : {}),
      ...(options.only ? { only: true } : {}),
    };
    return this.#client.json<TriggerOutcome>("POST", `/v1/runs/${id}/retry`, body);
  }

  async exec(input: ExecInput): Promise<ExecStream> {
    const body = {
      command: input.command,
      ...(input.env ? { env: input.env } : {}),
      ...(input.cwd !== undefined ? { cwd: input.cwd } : {}),
      ...(input.timeoutMs !== undefined ? { timeout: `${input.timeoutMs}ms` } : {}),
      ...(input.slots ? { slots: input.slots } : {}),
    };
    const stop = new AbortController();
    const lines = await this.#client.lines("POST", "/v1/exec", body, stop.signal);
    async function* events(): AsyncGenerator<ExecEvent> {
      for await (const line of lines) if (line) yield JSON.parse(line) as ExecEvent;
    }
    const items = events();
    return {
      [Symbol.asyncIterator]: () => items,
      async *batches() {
        for await (const item of items) yield [item];
      },
      close() {
        stop.abort();
        void items.return(undefined).catch(() => {});
      },
    };
  }

  scheduler(): Promise<SchedulerState> {
    return this.#client.json("GET", "/v1/scheduler");
  }

  pause(flow?: string): Promise<SchedulerState> {
    return this.#client.json("POST", "/v1/scheduler/pause", flow === undefined ? {} : { flow });
  }

  resume(flow?: string): Promise<SchedulerState> {
    return this.#client.json("POST", "/v1/scheduler/resume", flow === undefined ? {} : { flow });
  }
}
