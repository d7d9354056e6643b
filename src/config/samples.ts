/**
 * Commented sample configs for `orch init` and `orch --sample-toml`. Each is a working stack made of
 * shell commands found on any Unix machine.
 *
 * @module
 */

/** A sample stack.yaml showing each probe kind, dependencies and restart policy. */
export const SAMPLE_YAML =
  `# orch stack file (stack.yaml v0.1). Reference: README.md, "Configuration".
version: 0.1

stack:
  name: sample

defaults:
  restartPolicy:          # always | on-failure | never, with capped exponential backoff and jitter
    maxRetries: 5
    backoff: { min: 500ms, max: 30s, factor: 2 }
  health:                 # probe timing for every service that has probes
    interval: 1s
    timeout: 1s
    failureThreshold: 3

services:
  setup:                  # a oneshot runs to completion; dependents wait for it to succeed
    kind: oneshot
    command: echo "preparing data"

  db:                     # ready when its log says so
    command: ["sh", "-c", "sleep 1; echo 'db: ready to accept connections'; exec sleep infinity"]
    dependsOn: [setup]
    health:
      log: { pattern: "ready to accept connections" }

  api:                    # ready when the TCP port accepts connections
    command: ["python3", "-m", "http.server", "18080", "--bind", "127.0.0.1"]
    dependsOn:
      - target: db
        require: ready
        timeout: 60s
    health:
      tcp: { address: "127.0.0.1:18080" }
      http: { url: "http://127.0.0.1:18080/", expectStatus: [200] }
      expression: http || tcp

  clock:                  # a daemon is ready as soon as it starts
    kind: daemon
    command: while true; do date; sleep 5; done
`;

/** A sample orchestrate.toml, as the Textual orchestrator's \`--sample-toml\` printed it. */
export const SAMPLE_TOML =
  `# orch task file (orchestrate.toml). Reference: README.md, "Configuration".
# Kinds: "oneshot" runs to completion, "service" is ready when ready_cmd succeeds,
# "daemon" is ready as soon as it starts.

[defaults]
workdir = "."

[[task]]
name = "setup"
kind = "oneshot"
cmd = "echo preparing && sleep 1 && echo prepared"

[[task]]
name = "web"
kind = "service"
cmd = "python3 -m http.server 18080 --bind 127.0.0.1"
depends_on = ["setup"]
ready_cmd = "python3 -c \\"import urllib.request; urllib.request.urlopen('http://127.0.0.1:18080/')\\""

[[task]]
name = "clock"
kind = "daemon"
cmd = "while true; do date; sleep 5; done"
depends_on = ["setup"]
`;
