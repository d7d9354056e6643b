/**
 * The flows' control over HTTP: a client of a running orch's `/v1/flows`, `/v1/runs`,
 * `/v1/events/NAME` and `/v1/scheduler` routes. Errors come back as the serving orch raised them.
 *
 * @module
 */
import type { RunRecord } from "../domain/mod.ts";
import type {
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

/** What this needs of the HTTP client: a request whose answer is JSON. */
export interface JsonClient {
  json<T>(method: string, path: string, body?: unknown): Promise<T>;
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
