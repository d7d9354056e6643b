/**
 * Finding the orch to talk to: over the project's unix socket (its run file names it), or over TCP
 * with a bearer token (`--host`, `ORCH_HOST`, `ORCH_TOKEN`). The connection is the control
 * interface over HTTP (`src/control/http.ts`).
 *
 * @module
 */
import { HttpControl } from "../control/mod.ts";
import { OrchError } from "../domain/mod.ts";
import { findRunning, readRunFile, stateDir, unixClient } from "./state.ts";

/** Where to find the orch to talk to. */
export interface TargetOptions {
  /** A project directory (where `.orch/` is). */
  readonly project?: string;
  /** `http://HOST:PORT` or `HOST:PORT` of a TCP listener. */
  readonly host?: string;
  readonly token?: string;
}

/**
 * Finds the project directory: the nearest directory upward from `cwd` whose `.orch/` holds
 * `marker` (by default `orch.json`, the run file of a running orch).
 */
export function findProject(cwd: string, marker = "orch.json"): string | undefined {
  let dir = cwd.replace(/\/$/, "") || "/";
  for (;;) {
    try {
      Deno.statSync(`${stateDir(dir)}/${marker}`);
      return dir;
    } catch {
      // keep looking
    }
    if (dir === "/" || dir === "") return undefined;
    dir = dir.slice(0, dir.lastIndexOf("/")) || "/";
  }
}

/** Connects to the orch named by the options (a remote host, or a project's socket). */
export function connect(options: TargetOptions): Promise<HttpControl> {
  if (options.host) {
    const base = /^https?:\/\//.test(options.host)
      ? options.host.replace(/\/$/, "")
      : `http://${options.host}`;
    return Promise.resolve(new HttpControl({ base, where: base, token: options.token }));
  }
  const project = options.project;
  if (!project) {
    return Promise.reject(new OrchError("no project: give -f FILE, or run in a project directory"));
  }
  const run = readRunFile(project);
  if (!run) {
    return Promise.reject(
      new OrchError(`no orch is running for ${project} (start one with: orch up -d)`),
    );
  }
  // Ask at once; only when nothing answers, find out whether the run file is stale (and clean it).
  const client = new HttpControl({
    // Not a name to look up: a unix-socket client still resolves the URL's host (a DNS query for
    // "orch" stalled a request 5 s now and then); localhost comes from /etc/hosts.
    base: "http://localhost",
    where: run.socket,
    http: unixClient(run.socket),
    unreachable: async () => {
      try {
        if (await findRunning(project)) {
          return new OrchError(`the orch of ${project} (pid ${run.pid}) did not answer; try again`);
        }
      } catch (error) {
        return error as Error;
      }
      return new OrchError(
        `no orch is running for ${project} (a stale ${stateDir(project)}/orch.json was removed)`,
      );
    },
  });
  return Promise.resolve(client);
}
