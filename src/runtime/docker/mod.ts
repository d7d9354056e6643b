/**
 * The Docker runtime: the Engine API over the unix socket, containers and their networks, and a
 * swarm's services and jobs.
 *
 * @module
 */
export { DockerClient, DockerError, type Endpoint, endpointFrom } from "./client.ts";
export { DockerRuntime, type DockerRuntimeOptions } from "./runtime.ts";
export { SwarmClient, type SwarmServiceInfo, type SwarmTask } from "./swarm.ts";
export { SwarmJobRunner } from "./swarm_job.ts";
