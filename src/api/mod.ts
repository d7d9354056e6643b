/**
 * The control API: a `Request -> Response` handler over the control interface, its route table,
 * its OpenAPI document and its metrics.
 *
 * @module
 */
export { createHandler, type HandlerOptions, type Tokens } from "./handler.ts";
export { BODY_LIMITS, BodyTooLargeError, MAX_TAIL } from "./input.ts";
export { EventCounters, renderMetrics } from "./metrics.ts";
export { OPENAPI } from "./openapi.ts";
export { type ErrorKind, fromError, kindOf, STATUS } from "./respond.ts";
export { type Matched, type Method, type Route, Router } from "./router.ts";
export { bodyLimit, type Handler, type RouteContext, ROUTER, ROUTES } from "./routes.ts";
