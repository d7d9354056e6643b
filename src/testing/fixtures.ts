/**
 * Stacks several tests use.
 *
 * @module
 */
import type { Health, Service } from "../domain/mod.ts";

/** `echo` answers lines sent to its stdin, `ticker` prints a counter, `setup` is a oneshot. */
export const ECHO_TICKER_STACK = `
services:
  echo:
    command: "while read line; do echo \\"got $line\\"; done"
  ticker:
    command: "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done"
    dependsOn: [echo]
  setup:
    kind: oneshot
    command: "echo setting up"
`;

/**
 * A service with every field defaulted as the loader would (a `sleep` process, no probes), for unit
 * tests of pure code; `patch` sets what the test is about.
 */
export function testService(patch: Partial<Service> & { name: string }): Service {
  return {
    kind: "service",
    runtime: "process",
    image: undefined,
    command: { exec: ["sleep", "30"] },
    workdir: "/tmp",
    env: {},
    envFiles: [],
    ports: [],
    volumes: [],
    network: undefined,
    dependsOn: [],
    health: undefined,
    update: { strategy: "rolling", maxUnavailable: 1, maxSurge: 0 },
    replicas: 1,
    restart: {
      mode: "on-failure",
      maxRetries: 5,
      backoff: { minMs: 1000, maxMs: 30_000, factor: 2, jitter: 0 },
      stableMs: 60_000,
    },
    stop: { signal: "SIGTERM", timeoutMs: 10_000 },
    user: undefined,
    group: undefined,
    enabled: true,
    required: false,
    waitAfterMs: 0,
    successCodes: [0],
    preScript: undefined,
    postScript: undefined,
    logFile: undefined,
    tty: false,
    labels: {},
    resources: undefined,
    ...patch,
  };
}

/** Probes' timing and thresholds as the loader defaults them, with `patch` over them. */
export function testHealth(patch: Partial<Health>): Health {
  return {
    expression: undefined,
    gracePeriodMs: 0,
    intervalMs: 1000,
    timeoutMs: 1000,
    successThreshold: 1,
    failureThreshold: 3,
    onFailure: "restart",
    ...patch,
  };
}
