/**
 * What a route's handler gets, and the handler's type: shared by the route tables (`routes.ts`,
 * `flow_routes.ts`, `petit_routes.ts`).
 *
 * @module
 */
import type { Control } from "../control/mod.ts";
import type { EventCounters } from "./metrics.ts";

/** What a route's handler gets. */
export interface RouteContext {
  readonly control: Control;
  readonly request: Request;
  readonly url: URL;
  /** The path's parameters, decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly now: () => number;
  /** Interval of SSE keep-alive comments. */
  readonly keepAliveMs: number;
  readonly counters?: EventCounters;
}

/** A route's handler. */
export type Handler = (ctx: RouteContext) => Promise<Response>;
