/**
 * Probes: http, tcp and cmd checks behind the engine's {@link Prober} port. They report; the
 * supervisor decides.
 *
 * @module
 */
import type { CommandRunner, Prober } from "../engine/mod.ts";
import { checkCmd } from "./cmd.ts";
import { checkHttp } from "./http.ts";
import { checkTcp } from "./tcp.ts";

/** Builds the real prober; `cmd` probes run through `runner`. */
export function createProber(runner: CommandRunner): Prober {
  return {
    check(target, options) {
      switch (target.kind) {
        case "http":
          return checkHttp(target.probe, options);
        case "tcp":
          return checkTcp(target.probe, options);
        case "cmd":
          return checkCmd(target.probe, target.runner ?? runner, {
            ...options,
            cwd: target.cwd,
            env: target.env,
          });
      }
    },
  };
}
