/**
 * Stacks several tests use.
 *
 * @module
 */

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
