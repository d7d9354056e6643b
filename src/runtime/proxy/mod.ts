/**
 * The routing mesh: a service's published host port spread over its ready replicas.
 *
 * @module
 */
export { TcpRouter, type TcpRouterOptions } from "./router.ts";
