/**
 * What both runtimes share: the guard that cleans up after orch when it is killed. The runtimes
 * themselves are `process/`, `docker/` and the routing mesh `proxy/`.
 *
 * @module
 */
export {
  findOnPath,
  Guard,
  type GuardDocker,
  type GuardEntry,
  type GuardOptions,
} from "./guard.ts";
