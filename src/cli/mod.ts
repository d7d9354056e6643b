/**
 * The command line and the composition root. What others (the test fixtures) build with: the
 * engine's and the flows' assembly from real parts, the event bus, the control of a running
 * stack, the API server, and the CLI's I/O.
 *
 * @module
 */
export { assemble, type Assembled, type AssembleOptions } from "./assemble.ts";
export { EventBus } from "./bus.ts";
export { type AssembledFlows, assembleFlows, type FlowsOptions, openFlows } from "./flows.ts";
export { type HttpServer, type HttpServerOptions, serveHttp } from "./http_server.ts";
export { type AsyncStream, type CliIO, processIO } from "./io.ts";
export { makeControl, serveApi } from "./serve.ts";
